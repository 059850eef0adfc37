#!/usr/bin/env python3
"""Counts the built-in platforms by auth kind and by category, as Markdown tables for
docs/catalog.md ("The built-in catalog in numbers"). The mock provider's local platforms are left
out. Python 3.11 standard library only.

    python3 catalog/tools/count_platforms.py
"""

import tomllib
from collections import Counter
from pathlib import Path

PLATFORMS = Path(__file__).resolve().parents[1] / "platforms"
GENERATED = "# Generated from shared/reference/provider-facts.tsv"


def main() -> None:
    kinds: Counter[str] = Counter()
    generated_kinds: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    for path in sorted(PLATFORMS.glob("*.toml")):
        text = path.read_text(encoding="utf-8")
        platform = tomllib.loads(text)
        if platform.get("local"):
            continue
        kind = platform["auth"]["kind"]
        kinds[kind] += 1
        if text.startswith(GENERATED):
            generated_kinds[kind] += 1
        categories.update(platform["categories"])

    total, generated = sum(kinds.values()), sum(generated_kinds.values())
    print(f"{total} real platforms ({total - generated} hand-written, {generated} generated from the reference).\n")
    print("| Auth kind | Platforms | of which generated |")
    print("|---|---:|---:|")
    for kind, n in kinds.most_common():
        print(f"| `{kind}` | {n} | {generated_kinds[kind]} |")
    print(f"| all | {total} | {generated} |\n")
    print("| Category | Platforms |")
    print("|---|---:|")
    for category, n in sorted(categories.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"| `{category}` | {n} |")
    print("\nA platform counts once under each of its categories.")


if __name__ == "__main__":
    main()
