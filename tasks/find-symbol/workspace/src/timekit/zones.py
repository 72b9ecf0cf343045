"""Fixed UTC offsets by short zone name, for log timestamps."""

OFFSETS_MIN = {"UTC": 0, "CET": 60, "EET": 120, "IST": 330, "JST": 540}


def offset_seconds(zone: str) -> int:
    return OFFSETS_MIN[zone.upper()] * 60
