# corpus: benign
# Formatting a text report with textwrap and string methods.
import textwrap
from string import Template

BODY = """Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut
labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris."""


def main(name="team"):
    header = Template("Report for $name").substitute(name=name)
    wrapped = textwrap.fill(" ".join(BODY.split()), width=40)
    indented = textwrap.indent(wrapped, "  ")
    table = "\n".join(f"{k:<10}|{v:>8.2f}" for k, v in {"alpha": 1.5, "beta": 22.25}.items())
    report = f"{header}\n{'=' * len(header)}\n{indented}\n\n{table}"
    print(report)
    return {"lines": report.count("\n") + 1}
