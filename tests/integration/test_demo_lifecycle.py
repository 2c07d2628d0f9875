"""`make demo` does what it promises, against the five services as processes in training mode (as `make run` starts
them; real broker, PostgreSQL): households enrolled, exited and followed up, and one relapse reopened into a new
case, all in one run on the training clock."""
from shared import demo
from tests.fixtures import service_env
from tests.services import SERVICES


def test_the_demo_takes_households_to_exit_follow_up_and_a_reopened_relapse(kafka_bootstrap, databases, topic_prefix,
                                                                          processes, tmp_path, capsys):
    training = {"training_mode": "true", "dev_token_issuer": "true", "training_clock_file": str(tmp_path / "clock.json")}
    args = ["--households", "3", "--seed", "7"]
    for service in SERVICES:
        proc = processes(service, "api", service_env(service, databases.create(service), kafka_bootstrap, topic_prefix,
                                                     **training))
        args.append(f"--{service.replace('_', '-')}={proc.url}")
    rc = demo.main(args)
    out = capsys.readouterr()
    assert rc == 0, out.err + out.out
    table = out.out.split("where each household ended")[1].splitlines()
    rows = {line.split()[1]: line for line in table[3:] if line.strip()}
    assert set(rows) == {"assisted", "exited", "relapse"}, table
    assert "enrolled" in rows["assisted"] and "dibao:supported" in rows["assisted"]
    assert "dibao:exited" in rows["exited"] and "follow_up" in rows["exited"] and " active " in rows["exited"]
    assert "new case opened" in rows["relapse"] and "relapses 1" in rows["relapse"]
    assert "training clock +" in out.out
