"""Text for synthetic lines, from corpora available offline in PyPI packages.

Chinese words and frequencies come from jieba's dictionary (349k words), English words from
wordfreq's frequency lists. Besides sentences, the sampler makes the strings real documents,
receipts and signs hold: numbers, dates, times, prices, phone numbers, IDs, URLs, e-mail, codes,
licence plates, mixed zh/en. A share of lines draws hanzi uniformly from the charset, with a
preference for the least-seen ones, so every class is seen many times early in training.
"""
from __future__ import annotations

import os
import random
import string
from pathlib import Path

import numpy as np

from model.charset import Charset, normalize_text

ZH_PUNCT = "，。、；：？！"
EN_PUNCT = ",.;:?!"
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"


def is_plate(text: str) -> bool:
    """True for a string shaped like a Chinese licence plate (as ``TextSampler.plate`` makes)."""
    body = text[2:].lstrip("· ")
    return (len(text) >= 7 and text[0] in PROVINCES and text[1].isascii() and text[1].isupper()
            and 5 <= len(body) <= 6 and body.isascii() and body.isalnum())


def plate_number(text: str) -> str:
    """What a plate crop reads as: the registered number, without the separator dot that GA 36
    prints after the issuing-office letter. Number registers and plate datasets (CCPD, CRPD)
    write it without the dot, and users look plates up that way; a dot typed in running text
    (``render_line``) is still read as a dot."""
    return text.replace("·", "")


def _load_jieba_words(charset: Charset) -> tuple[list[str], np.ndarray]:
    import jieba  # noqa: PLC0415 - only where no snapshot is used (see load_word_lists)

    path = Path(jieba.__file__).with_name("dict.txt")
    words, freqs = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split(" ")
        if len(parts) < 2 or not charset.covers(parts[0]):
            continue
        words.append(parts[0])
        freqs.append(float(parts[1]))
    weights = np.sqrt(np.asarray(freqs))  # flatten Zipf: rarer words appear more often than in text
    return words, weights / weights.sum()


def _load_english_words(charset: Charset) -> tuple[list[str], np.ndarray]:
    from wordfreq import top_n_list, zipf_frequency  # noqa: PLC0415 - as in _load_jieba_words

    words = [w for w in top_n_list("en", 40000) if w.isascii() and charset.covers(w)]
    weights = np.array([zipf_frequency(w, "en") for w in words]) ** 2
    return words, weights / weights.sum()


def _cdf(p: np.ndarray) -> np.ndarray:
    cdf = p.cumsum()
    return cdf / cdf[-1]


def _draw(rng: np.random.Generator, cdf: np.ndarray, n: int) -> np.ndarray:
    """``n`` indices drawn with the probabilities behind ``cdf``: what ``rng.choice(len, n, p=p)``
    returns, draw for draw, without its per-call check and cumulative sum over all 349k jieba
    words (a quarter of the data engine's time)."""
    return cdf.searchsorted(rng.random(n), side="right")


WordLists = tuple[list[str], np.ndarray, list[str], np.ndarray]


def _load_live_word_lists(charset: Charset) -> WordLists:
    return (*_load_jieba_words(charset), *_load_english_words(charset))


def load_word_lists(charset: Charset, snapshot: Path | None = None) -> WordLists:
    """(Chinese words, their probabilities, English words, theirs).

    From jieba and wordfreq, or from a snapshot that ``save_word_lists`` wrote (``snapshot`` or
    the ``OCR_CORPUS_SNAPSHOT`` variable): a training machine with no package index (a lent
    GPU) then needs neither package, and wordfreq's wheel alone is larger than what travels.
    """
    env = os.environ.get("OCR_CORPUS_SNAPSHOT")
    snapshot = snapshot or (Path(env) if env else None)
    if snapshot is None:
        return _load_live_word_lists(charset)
    with np.load(snapshot) as z:
        return z["zh_words"].tolist(), z["zh_p"], z["en_words"].tolist(), z["en_p"]


def save_word_lists(charset: Charset, path: Path) -> None:
    """Write the word lists that ``load_word_lists`` reads from jieba and wordfreq."""
    zh_words, zh_p, en_words, en_p = _load_live_word_lists(charset)
    np.savez_compressed(path, zh_words=np.array(zh_words), zh_p=zh_p, en_words=np.array(en_words), en_p=en_p)


class TextSampler:
    """Draws label strings (already normalised, all in the charset) for synthetic lines."""

    def __init__(self, charset: Charset, seed: int = 0) -> None:
        self.charset = charset
        self.rng = random.Random(seed)
        self.np_rng = np.random.default_rng(seed)
        self.zh_words, self.zh_p, self.en_words, self.en_p = load_word_lists(charset)
        self._zh_cdf, self._en_cdf = _cdf(self.zh_p), _cdf(self.en_p)
        self.hanzi = [c for c in charset.chars if "\u4e00" <= c <= "\u9fff"]
        self.hanzi_labels = np.array([charset.encode(c)[0] for c in self.hanzi])
        self.symbols = [c for c in charset.chars if not c.isascii() and not ("\u4e00" <= c <= "\u9fff")]
        self.seen = np.zeros(charset.num_classes, dtype=np.int64)
        self.kinds = (
            (self.zh_sentence, 0.30), (self.rare_hanzi, 0.12), (self.en_sentence, 0.24),
            (self.mixed, 0.12), (self.numeric, 0.12), (self.plate, 0.05), (self.symbols_line, 0.06),
        )

    # --- pieces -------------------------------------------------------------------------
    def _zh_words(self, n: int) -> list[str]:
        idx = _draw(self.np_rng, self._zh_cdf, n)
        return [self.zh_words[i] for i in idx]

    def _en_words(self, n: int) -> list[str]:
        idx = _draw(self.np_rng, self._en_cdf, n)
        out = []
        for i in idx:
            w = self.en_words[i]
            r = self.rng.random()
            if r < 0.15:
                w = w.capitalize()
            elif r < 0.20:
                w = w.upper()
            out.append(w)
        return out

    def _number(self) -> str:
        r = self.rng.random()
        if r < 0.3:
            return str(self.rng.randint(0, 10 ** self.rng.randint(1, 6)))
        if r < 0.6:
            return f"{self.rng.uniform(0, 10 ** self.rng.randint(1, 5)):.{self.rng.choice([1, 2, 2, 3])}f}"
        if r < 0.8:
            return f"{self.rng.randint(1, 999):,}" + (f",{self.rng.randint(0, 999):03d}" if self.rng.random() < 0.5 else "")
        return f"{self.rng.randint(0, 100)}%"

    # --- line kinds -----------------------------------------------------------------------
    def zh_sentence(self) -> str:
        n = self.rng.choice([1, 2, 3, 4, 5, 6, 8, 10, 14])
        words = self._zh_words(n)
        out = ""
        for w in words:
            out += w
            if self.rng.random() < 0.12:
                out += self.rng.choice(ZH_PUNCT)
        if self.rng.random() < 0.1:
            out = self.rng.choice("“《「【（") + out + self.rng.choice("”》」】）")
        if self.rng.random() < 0.15:
            out += self._number()
        return out

    def rare_hanzi(self) -> str:
        """Hanzi drawn with probability favouring those seen least so far."""
        n = self.rng.randint(2, 16)
        weights = 1.0 / (1.0 + self.seen[self.hanzi_labels].astype(np.float64))
        weights /= weights.sum()
        idx = self.np_rng.choice(len(self.hanzi), size=n, p=weights)
        return "".join(self.hanzi[i] for i in idx)

    def en_sentence(self) -> str:
        """Words as prose sets them: punctuation attached to the word before it, a capital after
        a full stop, hyphenated compounds written without spaces ("dual-frequency"), and lines
        that end in punctuation or in a word broken by a line-end hyphen ("condi-")."""
        n = self.rng.choice([1, 1, 2, 3, 4, 5, 6, 8, 10, 12, 16])
        words = self._en_words(n)
        line = ""
        capital = self.rng.random() < 0.3
        for i, w in enumerate(words):
            if self.rng.random() < 0.08:
                w = self._number()
            if capital:
                w = w[:1].upper() + w[1:]
            if self.rng.random() < 0.04:
                w = self.rng.choice(["(", "\"", "'", "["]) + w + self.rng.choice([")", "\"", "'", "]"])
            line += w
            capital = False
            if i == len(words) - 1:
                break
            r = self.rng.random()
            if r < 0.05:
                line += self.rng.choice(["-", "-", "-", "/", "—"])  # joined: no space either side
                continue
            if r < 0.17:
                mark = self.rng.choice(EN_PUNCT)
                line += mark
                capital = mark in ".?!"
            line += " "
        r = self.rng.random()
        if r < 0.4:
            line += self.rng.choice(".,.,:;?!")
        elif r < 0.48 and len(w) > 3 and w.isalpha():  # w: the last word as written
            line = line[:-len(w)] + w[:self.rng.randint(2, len(w) - 1)] + "-"
        # receipts, signs and headings are set in capitals; there a round glyph between letters is
        # an O, and the model must learn that from context, not from the glyph alone
        return line.upper() if self.rng.random() < 0.12 else line

    def mixed(self) -> str:
        sep = " " if self.rng.random() < 0.5 else ""
        pieces = []
        for _ in range(self.rng.randint(2, 5)):
            r = self.rng.random()
            if r < 0.5:
                pieces.append("".join(self._zh_words(self.rng.randint(1, 3))))
            elif r < 0.8:
                pieces.append(self.rng.choice(self._en_words(1)))
            else:
                pieces.append(self._number())
        return sep.join(pieces)

    def numeric(self) -> str:
        rng = self.rng
        kinds = [
            lambda: f"{rng.randint(1990, 2030)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            lambda: f"{rng.randint(1990, 2030)}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日",
            lambda: f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}" + (f":{rng.randint(0, 59):02d}" if rng.random() < 0.5 else ""),
            lambda: f"{rng.choice(['¥', '$', '€', '£', '￥', ''])}{rng.uniform(0, 9999):.2f}",
            lambda: f"1{rng.randint(30, 99)}{rng.choice(['-', ' ', ''])}{rng.randint(0, 9999):04d}{rng.choice(['-', ' ', ''])}{rng.randint(0, 9999):04d}",
            lambda: f"({rng.randint(100, 999)}) {rng.randint(100, 999)}-{rng.randint(0, 9999):04d}",
            lambda: "".join(rng.choice(string.digits) for _ in range(17)) + rng.choice(string.digits + "X"),
            lambda: f"https://www.{rng.choice(self.en_words[:3000])}.{rng.choice(['com', 'cn', 'org', 'net'])}/{rng.choice(self.en_words[:5000])}",
            lambda: f"{rng.choice(self.en_words[:5000])}{rng.randint(0, 99)}@{rng.choice(['qq', '163', 'gmail', 'example'])}.com",
            lambda: "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(rng.randint(4, 12))),
            lambda: f"No.{rng.randint(1, 99999):05d}",
            lambda: f"{rng.choice(self._en_words(3)).upper()} {rng.randint(1, 20)} x {rng.uniform(0.5, 99):.2f}",
            # receipt items and discounts: "PORK DUMPLIN T1", "4.19 F", ".75-", "2.00-"
            lambda: f"{' '.join(self._en_words(rng.randint(1, 3))).upper()} {rng.choice(['T1', 'F', 'N', 'B', ''])}".strip(),
            lambda: (f".{rng.randint(1, 99):02d}" if rng.random() < 0.4 else f"{rng.uniform(1, 99):.2f}")
            + rng.choice(["-", " F", " N", " T", "-"]),
            lambda: f"{self._zh_words(1)[0]}：{self._number()}",
            lambda: f"{rng.randint(1, 9999)} {rng.choice(self._en_words(4)).capitalize()} {rng.choice(['St', 'Ave', 'Rd', 'Blvd'])}.",
            lambda: f"{rng.uniform(-40, 45):.1f}{rng.choice(['℃', '°C', '°', '%', 'kg', 'km', 'ml'])}",
        ]
        return rng.choice(kinds)()

    def plate(self) -> str:
        rng = self.rng
        # issued numbers are mostly digits with one or two letters (no I or O: they read as 1, 0)
        body = "".join(rng.choice(string.digits) if rng.random() < 0.6 else rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ")
                       for _ in range(5))
        sep = rng.choice(["", "·", "·"])  # the dot printed on plates; never a space
        return rng.choice(PROVINCES) + rng.choice("ABCDEFGHJKLMNPQRS") + sep + body

    def symbols_line(self) -> str:
        picks = [self.rng.choice(self.symbols) for _ in range(self.rng.randint(1, 4))]
        words = self._zh_words(2) if self.rng.random() < 0.5 else self._en_words(2)
        pieces = words + picks + [self._number()]
        self.rng.shuffle(pieces)
        return self.rng.choice(["", " "]).join(pieces)

    # --- public -------------------------------------------------------------------------
    def sample(self, max_chars: int = 48) -> str:
        """One normalised, non-empty label of at most ``max_chars`` characters."""
        fns, weights = zip(*self.kinds)
        while True:
            text = normalize_text(self.rng.choices(fns, weights=weights)[0]())
            if len(text) > max_chars:
                cut = self.rng.randint(max(1, max_chars // 2), max_chars)
                text = normalize_text(text[:cut])
            if text and self.charset.covers(text):
                for i in self.charset.encode(text):
                    self.seen[i] += 1
                return text

    def sample_long_english(self, min_chars: int = 50, max_chars: int = 110) -> str:
        """A scanned-page-like English line (natural width, never squashed)."""
        line = self.en_sentence()
        while len(line) < min_chars:
            line += " " + self.en_sentence()
        if len(line) > max_chars:  # cut at a word boundary, as a typesetter breaks lines
            line = line[:max_chars].rsplit(" ", 1)[0]
        return normalize_text(line)
