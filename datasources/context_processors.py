from datasources.notifications import troubled_sources


def attention(request) -> dict:
    """How many of the user's sources need them, for the header on every page."""
    user = getattr(request, "user", None)
    workspace = getattr(request, "workspace", None)
    if user is None or not user.is_authenticated or workspace is None:
        return {"sources_needing_attention": 0}
    return {"sources_needing_attention": troubled_sources(user, workspace).count()}
