"""Malformed experiment files: exit 2, one line `FILE: dotted.path: what is wrong`, no report."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import pytest

from sim.cli import main
from tests.conftest import BASE, to_toml


def test_writer_round_trips() -> None:
    assert tomllib.loads(to_toml(BASE)) == BASE


def _set(doc: dict, path: tuple, value: object) -> dict:
    doc = copy.deepcopy(doc)
    target = doc
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


_DELETE = object()
CASES = [
    # (id, path to change, new value, expected "dotted.path: message" tail)
    ("typo_key", ("options", 1, "costs", 1, "monthy"), 5,
     'options[1].costs[1].monthy: unknown key (did you mean "monthly"?)'),
    ("typo_section", ("experimnt",), {"name": "x"}, 'experimnt: unknown key (did you mean "experiment"?)'),
    ("wrong_type_int", ("experiment", "horizon_months"), "ten",
     'experiment.horizon_months: "ten": not a whole number; write e.g. 12, "10k", "1,000"'),
    ("negative_budget", ("budget",), {"monthly": -5}, "budget.monthly: must be > 0, got -5"),
    ("absurd_budget", ("budget",), {"monthly": 1e39}, "budget.monthly: must be <= 1e+12, got 1e+39"),
    ("absurd_total_budget", ("budget",), {"total": 2e15}, "budget.total: must be <= 1e+15, got 2e+15"),
    ("call_spelling", ("workload", "monthly_growth"), "normal(0.1, 0.03)",
     'workload.monthly_growth: "normal(0.1, 0.03)": not a number; a distribution is written as the table '
     '{ dist = "normal", mean = 0.1, sd = 0.03 } or as the 90% interval "0.0507 to 0.149"'),
    ("dash_range", ("workload", "input_tokens_per_day"), "5M-7M",
     'workload.input_tokens_per_day: "5M-7M": not a number; a range is written "5M to 7M" (a 90% interval: P5 5M, '
     'P95 7M) or { dist = "uniform", low = "5M", high = "7M" }'),
    ("lognormal_call", ("workload", "input_tokens_per_day"), "lognormal(24M, 3M)",
     'workload.input_tokens_per_day: "lognormal(24M, 3M)": not a number; a distribution is written as the table '
     '{ dist = "lognormal", mean = "24M", sd = "3M" } or as about the 90% interval "19.1M to 28.9M"'),
    ("word", ("options", 1, "costs", 1, "monthly"), "about 300",
     'options[1].costs[1].monthly: "about 300": not a number; write a number (2.5, "3M", "40%", "$5,100"), a 90% '
     'interval ("300 to 600") or a distribution table such as { dist = "pert", low = 300, mode = 420, high = 800 }'),
    ("budget_range", ("budget",), {"monthly": "25k-30k"},
     'budget.monthly: "25k-30k": not a number; write e.g. 25000, "$25k", "$25,000", "40%" (a fixed number: this '
     "field takes no distribution)"),
    ("market_self_reference", ("market",), {"gpu": "market.gpu"},
     "market.gpu: a [market] reference is not allowed here: a [market] entry is the shared value itself, so it "
     "cannot refer to an entry (itself or another); write its number, distribution or process here"),
    ("b_less_than_a", ("options", 1, "costs", 1, "monthly"), "5 to 3",
     'options[1].costs[1].monthly: "5 to 3": upper bound must exceed lower'),
    ("negative_price", ("options", 0, "input_per_million"), -2.5,
     "options[0].input_per_million: must be >= 0, got -2.5"),
    ("nan_price", ("options", 0, "output_per_million"), float("nan"),
     "options[0].output_per_million: nan: must be a finite number"),
    ("nan_interval", ("workload", "input_tokens_per_day"), "nan to 3M",
     'workload.input_tokens_per_day: "nan": not a number'),
    ("empty_options", ("options",), [], "options: List should have at least 1 item after validation, not 0"),
    ("unknown_dist", ("options", 1, "costs", 1, "monthly"), {"dist": "lognormall", "p5": 1, "p95": 2},
     'options[1].costs[1].monthly.dist: unknown dist "lognormall"'),
    ("unknown_kind", ("options", 0, "kind"), "apii", "options[0].kind: unknown option kind 'apii'"),
    ("missing_workload", ("workload",), _DELETE, "workload: required field is missing"),
    ("missing_horizon", ("experiment", "horizon_months"), _DELETE,
     "experiment.horizon_months: required field is missing"),
    ("percentile_range", ("experiment", "percentiles"), [0, 50],
     "experiment.percentiles: each percentile must lie strictly between 0 and 100"),
    ("duplicate_option", ("options", 1, "name"), "api", "options: option names must be unique; repeated: api"),
    ("two_drivers", ("options", 1, "costs", 1, "fte"), 0.2, "options[1].costs[1]: give exactly one driver"),
    ("no_driver", ("options", 1, "costs", 1, "monthly"), _DELETE, "options[1].costs[1]: give exactly one driver"),
    ("share_over_one", ("options", 0, "cached_input_share"), 1.5,
     "options[0].cached_input_share: must be <= 1, got 1.5"),
    ("mixture_weights", ("options", 1, "costs", 1, "monthly"),
     {"dist": "mixture", "components": [100, 200], "weights": [0.5, 0.6]},
     "options[1].costs[1].monthly: dist = \"mixture\": weights must be >= 0 and sum to 1"),
    ("negative_sd", ("options", 1, "costs", 1, "monthly"), {"dist": "normal", "mean": 100, "sd": -5},
     'options[1].costs[1].monthly: dist = "normal": sd must be >= 0, got -5'),
    ("negative_p5", ("options", 1, "costs", 0, "hourly_price"), {"dist": "lognormal", "p5": -1, "p95": 3},
     'options[1].costs[0].hourly_price: dist = "lognormal": p5 must be > 0, got -1'),
    ("can_go_negative", ("options", 1, "costs", 1, "monthly"), "-100 to 600",
     "options[1].costs[1].monthly: can be below 0 (its P5 is -100)"),
    ("unknown_process", ("options", 1, "costs", 0, "hourly_price"), {"process": "gbmm", "start": 2},
     'options[1].costs[0].hourly_price.process: unknown process "gbmm"'),
    ("process_not_allowed", ("workload", "monthly_growth"),
     {"process": "trend", "start": 0.01, "annual_change": 0}, "workload.monthly_growth: a process is not allowed here"),
    ("bad_name", ("experiment", "name"), "../etc", 'experiment.name: "../etc": use letters'),
    ("growth_below_minus_100", ("workload", "monthly_growth"), "-150% to -120%",
     "workload.monthly_growth: can be below -1 (its P5 is -1.5)"),
    ("budget_empty", ("budget",), {}, "budget: give monthly and/or total"),
    ("unknown_catalog", ("options", 0, "catalog"), "openai/gpt-9",
     'options[0].catalog: "openai/gpt-9" is not in the price catalog'),
    ("cached_without_price", ("options", 0, "cached_input_share"), 0.3,
     "options[0].cached_input_per_million: required when cached_input_share is not 0"),
    ("claim_unknown_option", ("claims",), [{"option": "nope", "metric": "monthly_cost", "value": 1}],
     'claims[0].option: "nope" names no option'),
    ("claim_past_horizon", ("claims",), [{"option": "api", "metric": "monthly_cost", "month": 99, "value": 1}],
     "claims[0].month: 99 is past horizon_months"),
    ("share_of_later_item", ("options", 1, "costs", 0),
     {"item": "GPU", "share_of": "Ops", "share": 0.5}, 'options[1].costs[0].share_of: "Ops" names no earlier'),
    ("bool_for_number", ("options", 0, "input_per_million"), True,
     "options[0].input_per_million: True: expected a number, got a boolean"),
    ("clip_malformed", ("options", 1, "costs", 1, "monthly"), {"dist": "normal", "mean": 5, "sd": 1, "clip": [1]},
     "options[1].costs[1].monthly.clip: clip must be [low, high]"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_malformed_file_exits_2_with_dotted_path(case, tmp_path: Path, capsys) -> None:
    _, path, value, expected = case
    doc = {**copy.deepcopy(BASE), "experimnt": value} if path[0] == "experimnt" else _set(BASE, path, value)
    exp_file = tmp_path / "bad.toml"
    exp_file.write_text(to_toml(doc))
    out = tmp_path / "report"
    rc = main(["run", str(exp_file), "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2
    assert f"{exp_file}: {expected}" in err, err
    assert "Traceback" not in err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [exp_file]  # no temp folder left behind either


def test_money_and_counts_read_as_people_write_them(tmp_path: Path) -> None:
    """"$25k" and "$250,000" in a budget, "2k" paths: the forms the docs promise for any numeric field."""
    from sim.loader import parse_experiment

    doc = {**copy.deepcopy(BASE), "budget": {"monthly": "$25k", "total": "$250,000"}}
    doc["experiment"] = {**doc["experiment"], "paths": "2k"}
    exp = parse_experiment(doc)
    assert (exp.budget.monthly, exp.budget.total, exp.experiment.paths) == (25_000.0, 250_000.0, 2000)


def test_sweeping_a_correlated_input_names_the_entry_to_drop(tmp_path: Path, capsys) -> None:
    doc = copy.deepcopy(BASE)
    doc["workload"]["monthly_growth"] = "2% to 8%"
    doc["market"] = {"gpu": "2 to 3.5"}
    doc["options"][1]["costs"][0]["hourly_price"] = "market.gpu"
    doc["correlations"] = [{"a": "workload.monthly_growth", "b": "market.gpu", "rank_correlation": 0.5}]
    f = tmp_path / "c.toml"
    f.write_text(to_toml(doc))
    assert main(["sweep", str(f), "--vary", "market.gpu=1,2", "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err == (
        f"{f}: --vary market.gpu: a swept input is fixed at each point, so it cannot keep its rank correlation: "
        'drop [[correlations]] entry 1 of 1 (a = "workload.monthly_growth", b = "market.gpu", rank_correlation = '
        "0.5) from the file, or sweep another input\n")
    assert not (tmp_path / "o").exists()


def test_deciding_a_correlated_input_names_the_entry_to_drop(tmp_path: Path, capsys) -> None:
    doc = copy.deepcopy(BASE)
    doc["workload"]["monthly_growth"] = "2% to 8%"
    doc["options"][1]["costs"][0]["hourly_price"] = "2 to 3.5"
    doc["correlations"] = [{"a": "workload.monthly_growth", "b": "options[1].costs[0].hourly_price",
                            "rank_correlation": 0.5}]
    f = tmp_path / "c.toml"
    f.write_text(to_toml(doc))
    assert main(["optimize", str(f), "--decide", "options[1].costs[0].hourly_price=2,3",
                 "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err == (
        f"{f}: --decide options[1].costs[0].hourly_price: a decided input is fixed at each candidate, so it cannot "
        'keep its rank correlation: drop [[correlations]] entry 1 of 1 (a = "workload.monthly_growth", '
        'b = "options[1].costs[0].hourly_price", rank_correlation = 0.5) from the file, or decide another input\n')
    assert not (tmp_path / "o").exists()


def test_invalid_toml_and_missing_file(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[experiment\nname = 1")
    assert main(["validate", str(bad), str(tmp_path / "nope.toml")]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: not valid TOML" in err
    assert f"{tmp_path / 'nope.toml'}: cannot read file" in err


def test_all_problems_are_listed(tmp_path: Path, capsys) -> None:
    doc = _set(_set(BASE, ("options", 0, "input_per_million"), -1), ("experiment", "horizon_months"), 0)
    f = tmp_path / "two.toml"
    f.write_text(to_toml(doc))
    assert main(["validate", str(f)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert any(line.startswith(f"{f}: experiment.horizon_months:") for line in err)
    assert any(line.startswith(f"{f}: options[0].input_per_million:") for line in err)


@pytest.mark.parametrize("argv,message", [
    (["run", "X.toml", "--paths", "0"], "--paths must be >= 1"),
    (["run", "X.toml", "--workers", "two"], '--workers must be "auto" or a whole number >= 1, got \'two\''),
    (["run", "X.toml", "--seed", "-1"], "--seed must be >= 0"),
    (["capacity", "X.toml", "--workers", "0"], '--workers must be "auto" or a whole number >= 1, got \'0\''),
    (["sweep", "X.toml", "--vary", "a=1,2", "--workers", "0"], '--workers must be "auto" or a whole number >= 1'),
    (["optimize", "X.toml", "--decide", "a=1,2", "--workers", "many"], '--workers must be "auto" or a whole number'),
])
def test_bad_command_line_exits_2(argv, message, capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert message in capsys.readouterr().err
