def current_workspace(request) -> dict:
    return {"workspace": getattr(request, "workspace", None)}
