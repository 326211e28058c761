"""The versioned rulesets of target 19.2 (rulesets/*.toml), flattened for ref.rulesets."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources


@cache
def load_rulesets() -> tuple[dict[str, object], ...]:
    """Return every ruleset file flattened to one row of ref.rulesets each."""
    rows = []
    folder = resources.files("rulesets")
    files = sorted(p.name for p in folder.iterdir() if p.name.endswith(".toml"))
    for name in files:
        r = tomllib.loads(folder.joinpath(name).read_text(encoding="utf-8"))
        b, a, d, t = r["basic"], r["advanced"], r["district"], r["targets"]
        rows.append(
            {
                "ruleset": f"{r['ruleset']}/v{r['version']}",
                "first_year": r["first_year"],
                "last_year": r["last_year"],
                "serious_crime_policy": b["serious_crime_policy"],
                "min_safe_village_share": b["min_safe_village_share"],
                "police_ratings_passing": b["police_ratings_passing"],
                "max_police_disciplined": b["max_police_disciplined"],
                "min_effective_models": b["min_effective_models"],
                "adv_min_safe_village_share": a["min_safe_village_share"],
                "adv_min_effective_models": a["min_effective_models"],
                "adv_required_model_type": a["required_model_type"],
                "movement_ratings_passing": a["movement_ratings_passing"],
                "baseline_year": d["baseline_year"],
                "min_crime_reduction": d["min_crime_reduction"],
                "deadline_month": d["deadline_month"],
                "deadline_day": d["deadline_day"],
                "timezone": d["timezone"],
                "target_year": t["target_year"],
                "target_pct_meeting": t["pct_meeting"],
                "target_pct_meeting_advanced": t["pct_meeting_advanced"],
                "is_active": True,
            }
        )
    return tuple(rows)


def last_covered_year() -> int:
    """Return the last reporting year any ruleset covers (the contract's upper bound)."""
    return max(int(str(r["last_year"])) for r in load_rulesets())
