import unittest

from textstats.wordcount import top_words, words


class WordsTest(unittest.TestCase):
    def test_lower_cases_and_drops_punctuation(self):
        self.assertEqual(words("Hello, hello world!"), ["hello", "hello", "world"])

    def test_keeps_apostrophes(self):
        self.assertEqual(words("Don't stop"), ["don't", "stop"])


class TopWordsTest(unittest.TestCase):
    def test_top_three_by_count(self):
        text = "the cat and the hat and the bat"
        self.assertEqual(top_words(text), [("the", 3), ("and", 2), ("cat", 1)])

    def test_top_one(self):
        self.assertEqual(top_words("b a b", n=1), [("b", 2)])

    def test_ties_keep_first_appearance(self):
        self.assertEqual(top_words("x y z", n=2), [("x", 1), ("y", 1)])

    def test_n_larger_than_vocabulary(self):
        self.assertEqual(top_words("x y", n=5), [("x", 1), ("y", 1)])


if __name__ == "__main__":
    unittest.main()
