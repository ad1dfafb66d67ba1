def test_it_forbids_inline_scripts_on_every_page(client, db):
    response = client.get("/accounts/login/")

    policy = response.headers["Content-Security-Policy"]
    script_src = next(
        p for p in policy.split(";") if p.strip().startswith("script-src")
    )
    assert script_src.split() == ["script-src", "'self'"]
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
