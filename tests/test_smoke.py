from bot.web import create_app


def test_healthz_reports_loaded_knowledge(config):
    client = create_app(config).test_client()
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok"
    assert body["passages"] > 10
    assert body["store"] == "embedded"
