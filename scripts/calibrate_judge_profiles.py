"""Write the calibrated columns of agents/data/judge_profiles.csv (sim.judge_calibration).

    python scripts/calibrate_judge_profiles.py

Reads the file's table columns, solves each profile's parameters on the built-in corpus,
prints the expected and counted measures beside the table's, and rewrites the file with its
header kept.
"""

from __future__ import annotations

from dataclasses import astuple

import numpy as np
import pandas as pd

from agents.judge_profiles import CALIBRATED, COLUMNS, HUMANS, PROFILES_FILE, read_profiles
from sim.judge_calibration import calibrate_profiles, calibration_pairs, measure_profile


def main() -> None:
    header = [line for line in PROFILES_FILE.read_text().splitlines() if line.startswith("#")]
    profiles = calibrate_profiles(read_profiles(PROFILES_FILE))
    pairs = calibration_pairs()
    rng = np.random.default_rng(0)
    for name, profile in profiles.items():
        counted = measure_profile(profile, profiles[HUMANS], pairs, rng)
        print(
            f"{name:35s} table {np.round(profile.table_measures, 3)} "
            f"counted {np.round(counted, 3)} gold accuracy {profile.gold_accuracy:.3f}"
        )
    table = pd.DataFrame([astuple(profile) for profile in profiles.values()], columns=COLUMNS)
    for column in CALIBRATED:
        table[column] = table[column].round(4)
    with PROFILES_FILE.open("w") as file:
        file.write("\n".join(header) + "\n")
        table.to_csv(file, index=False)


if __name__ == "__main__":
    main()
