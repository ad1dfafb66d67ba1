"""A fake Harvest (id + API v2) for tests, demos and benchmarks. Never imported by
the product: settings point HARVEST_ID_BASE / HARVEST_API_BASE at it."""
