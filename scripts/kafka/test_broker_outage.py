"""With no broker at the address, bookings go on, health and metrics show the exporter behind
and retrying; once a broker answers there, the exporter catches up with the whole log."""

import kafkakit


def test_bookings_go_on_while_the_broker_is_down_and_the_export_catches_up(tmp_path, started):
    folder = str(tmp_path)
    port = kafkakit.free_port()
    server = started(kafkakit.ExportingServer(folder, f"127.0.0.1:{port}"))
    _, organizer = server.register("org@kafka.example", role="organizer")
    event = server.create_event(organizer, "Offline night")
    for number in range(5):
        _, token = server.register(f"guest{number}@kafka.example")
        status, answer = server.request("POST", f"/api/v1/events/{event}/tickets", token,
                                        {"quantity": 2})
        assert status == 201, answer

    # The exporter has tried and failed at least once.
    kafkakit.wait_for("a failed export attempt",
                      lambda: server.metric("prasang_kafka_export_failures_total") > 0,
                      timeout=30)
    health = server.kafka_health()
    assert health["state"] == "retrying" and health["behind"] > 0, health
    assert health["topic"] == kafkakit.TOPIC
    assert server.metric("prasang_kafka_export_behind") > 0
    assert server.metric("prasang_kafka_broker_up") == 0
    assert server.metric("prasang_kafka_export_lag_seconds") > 0

    started(kafkakit.Broker(folder, port))
    server.wait_until_exported(timeout=90)
    assert server.kafka_health()["state"] == "exporting"
    assert server.metric("prasang_kafka_broker_up") == 1
    entries, records = server.log_and_topic()
    kafkakit.check_topic_holds_log(records, entries)
