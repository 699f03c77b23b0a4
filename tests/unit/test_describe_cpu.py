"""model.session.describe_cpu: the CPU line printed next to every speed ratio."""
from __future__ import annotations

from model.session import describe_cpu

AMD = "processor\t: 0\nmodel name\t: AMD EPYC 7B13\nflags\t\t: fpu sse2 avx avx2 fma\n\nprocessor\t: 1\n"
XEON = ("model name\t: Intel(R) Xeon(R) Processor\n"
        "flags\t\t: avx2 avx512f avx512_vnni amx_int8 amx_tile\n")


def test_names_the_instruction_sets_that_decide_int8_speed() -> None:
    assert describe_cpu(AMD) == "AMD EPYC 7B13 (avx2)"
    assert describe_cpu(XEON) == "Intel(R) Xeon(R) Processor (avx2, avx512, vnni, amx)"


def test_unknown_cpuinfo_still_gives_a_line() -> None:
    assert describe_cpu("") == "unknown CPU (no avx2)"
    assert describe_cpu("flags : avx_vnni avx2\n") == "unknown CPU (avx2, vnni)"
