async def test_bot_starts_and_syncs(standin, sample, heartbeat):
    names = sorted(c["name"] for c in standin.global_commands)
    assert names == ["about", "announce", "config", "report"]
