import unittest

from timekit.units.convert import parse_duration


class ParseDurationTest(unittest.TestCase):
    def test_hours_and_minutes(self):
        self.assertEqual(parse_duration("1h30m"), 5400)

    def test_rejects_junk(self):
        with self.assertRaises(ValueError):
            parse_duration("soon")
