"""The documentation agrees with the code.

The configuration schema is declared once, in the code; `sorad --dump-schema`
prints it. This test checks against it that etc/sora.conf and sora.conf(5)
document the same keys, section by section, with the same defaults; that the
man pages render without a warning; and that sorad(8) describes every option
of `sorad --help`.

SORA_BUILDDIR (default: the repository root) holds the built sorad and
modules, SORA_SRCDIR (default: the repository root) the documents.
"""

import glob
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILDDIR = os.environ.get("SORA_BUILDDIR") or ROOT
SRCDIR = os.environ.get("SORA_SRCDIR") or ROOT
SORAD = os.path.join(BUILDDIR, "src", "sorad", "sorad")
SORA_CONF = os.path.join(SRCDIR, "etc", "sora.conf")
MAN_PAGES = sorted(glob.glob(os.path.join(SRCDIR, "man", "*.[58]")))
SORA_CONF_5 = os.path.join(SRCDIR, "man", "sora.conf.5")

# Folders fixed at build time. etc/sora.conf writes them as placeholders that
# `make install` fills in; the man pages as words the page explains. Either
# stands for any absolute path in a default.
PLACEHOLDERS = {"@moduledir@": "MODULEDIR", "@runstatedir@": "RUNSTATEDIR"}


@dataclass
class Key:
    section: str  # "core", "listener NAME", "auth-sql"
    name: str
    type: str  # "integer", "enumeration(a|b)" ...
    default: str
    flags: set
    help: str


# --- the schema ------------------------------------------------------------


def parse_schema(text):
    """Keys of `sorad --dump-schema` output, by (section, key)."""
    keys = {}
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split("\t")
        assert len(fields) == 6, f"--dump-schema line {number} has {len(fields)} fields, not 6: {line!r}"
        section, name, type_, default, flags, help_ = fields
        keys[(section, name)] = Key(section, name, type_, default,
                                    set() if flags == "-" else set(flags.split(",")), help_)
    return keys


def dump_schema():
    """Runs the built sorad with every built module listed, so that the schema
    covers the core and all modules."""
    if not os.access(SORAD, os.X_OK):
        pytest.fail(f"{SORAD} is missing: build sorad first (make), or set SORA_BUILDDIR "
                    "to the build tree")
    modules = sorted(glob.glob(os.path.join(BUILDDIR, "modules", "*", ".libs", "*.so")))
    with tempfile.TemporaryDirectory(prefix="sora-docs-") as tmp:
        module_dir = os.path.join(tmp, "modules")
        os.mkdir(module_dir)
        for so in modules:
            os.symlink(so, os.path.join(module_dir, os.path.basename(so)))
        names = [os.path.basename(so)[: -len(".so")] for so in modules]
        conf = os.path.join(tmp, "sora.conf")
        with open(conf, "w") as f:
            f.write(f"[core]\nmodule_dir = {module_dir}\nmodules = {' '.join(names)}\n")
        run = subprocess.run([SORAD, "--dump-schema", "-c", conf], capture_output=True, text=True)
    assert run.returncode == 0, (f"sorad --dump-schema failed with status {run.returncode}:\n"
                                 f"{run.stderr}")
    return parse_schema(run.stdout)


@pytest.fixture(scope="module")
def schema():
    keys = dump_schema()
    assert keys, "sorad --dump-schema printed no key"
    return keys


# --- etc/sora.conf ---------------------------------------------------------

# `[section]`, also commented out: `# [listener imap]`.
CONF_SECTION = re.compile(r"^(?:[;#] ?)?\[([^\]]+)\]\s*$")
# `key = value` (set), `;key = value` (the default) or `# key = value` (an example).
CONF_KEY = re.compile(r"^(;|# ?)?([a-z][a-z0-9_]*) *= *(.*?)\s*$")


def schema_section(header):
    """"listener imap" -> "listener NAME"; other headers are taken as they are."""
    word, _, instance = header.strip().partition(" ")
    return f"{word} NAME" if instance.strip() else word


@dataclass
class ConfLine:
    line: int
    marker: str  # "" (set), ";" (default), "#" (example)
    value: str


def parse_sora_conf(path):
    """Documented keys of etc/sora.conf: {(section, key): [ConfLine ...]}."""
    found = {}
    section = None
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if m := CONF_SECTION.match(line):
                section = schema_section(m.group(1))
                continue
            if m := CONF_KEY.match(line):
                assert section, f"{path}:{number}: key {m.group(2)} outside of any [section]"
                marker = (m.group(1) or "").strip()
                found.setdefault((section, m.group(2)), []).append(
                    ConfLine(number, marker, m.group(3)))
    return found


# --- sora.conf(5) ----------------------------------------------------------


def unroff(text):
    """The text a roff line shows, for the escapes the pages use."""
    text = re.sub(r"\\f[BIRP]", "", text)
    text = re.sub(r"\\\((aq|dq)", lambda m: {"aq": "'", "dq": '"'}[m.group(1)], text)
    return text.replace("\\-", "-").replace("\\&", "").replace("\\e", "\\").replace("\\c", "")


def request_text(line):
    """The words of `.B x`, `.BR "a b" c` ... joined as the page shows them
    (alternating requests join their arguments without spaces)."""
    request, _, rest = line.partition(" ")
    words = re.findall(r'"([^"]*)"|(\S+)', rest)
    words = [a or b for a, b in words]
    joiner = "" if len(request) == 3 else " "
    return unroff(joiner.join(words))


# Per key: `.TP`, `.B key`, then
# `Type: TYPE; default: DEFAULT; reloadable: yes|no.`
MAN_SECTION = re.compile(r'^\.SS "?\[(.+?)\]"?\s*$')
MAN_SUMMARY = re.compile(r"^Type: (.+); default: (.+); reloadable: (yes|no)\.$")


@dataclass
class ManKey:
    line: int
    type: str
    default: str  # "" for "empty" and "none (required)"
    required: bool
    reloadable: bool


def parse_man_keys(path):
    """Documented keys of sora.conf(5): {(section, key): ManKey}, and the
    problems found while reading them."""
    found, problems = {}, []
    section = None
    with open(path) as f:
        lines = [l.rstrip("\n") for l in f]
    for i, line in enumerate(lines):
        if m := MAN_SECTION.match(line):
            section = schema_section(unroff(m.group(1)))
            continue
        if line.startswith(".SH"):
            section = None
            continue
        if section is None or line != ".TP" or i + 2 >= len(lines):
            continue
        if not lines[i + 1].startswith(".B "):
            continue
        name = request_text(lines[i + 1])
        summary = unroff(lines[i + 2])
        m = MAN_SUMMARY.match(summary)
        if not m:
            problems.append(f"{path}:{i + 3}: [{section}] {name}: the line after the key "
                            f"should read 'Type: ...; default: ...; reloadable: yes|no.', "
                            f"not {summary!r}")
            continue
        type_, default, reloadable = m.groups()
        required = default == "none (required)"
        if default in ("empty", "none (required)"):
            default = ""
        if (section, name) in found:
            problems.append(f"{path}:{i + 2}: [{section}] {name} is described twice")
        found[(section, name)] = ManKey(i + 2, type_, default, required, reloadable == "yes")
    return found, problems


# --- comparisons -----------------------------------------------------------


def same_default(documented, actual):
    """True when a documented default is the schema's, a build-time folder
    placeholder standing for any absolute path."""
    pattern = re.escape(documented)
    for conf_word, man_word in PLACEHOLDERS.items():
        for word in (conf_word, man_word):
            pattern = pattern.replace(re.escape(word), r"/\S*")
    return re.fullmatch(pattern, actual) is not None


def describe_difference(where, documented, schema_keys):
    """Lines naming, per section, the keys missing from `where` and those it
    documents that the schema does not have."""
    problems = []
    for section in sorted({s for s, _ in schema_keys} | {s for s, _ in documented}):
        want = {k for s, k in schema_keys if s == section}
        have = {k for s, k in documented if s == section}
        if want - have:
            problems.append(f"{where} [{section}]: missing {', '.join(sorted(want - have))}")
        if have - want:
            problems.append(f"{where} [{section}]: not in the schema: "
                            f"{', '.join(sorted(have - want))}")
    return problems


def test_sora_conf_documents_every_key(schema):
    problems = describe_difference("etc/sora.conf", parse_sora_conf(SORA_CONF), schema)
    assert not problems, "etc/sora.conf and the schema differ:\n" + "\n".join(problems)


def test_sora_conf_defaults_match_schema(schema):
    problems = []
    for (section, name), lines in sorted(parse_sora_conf(SORA_CONF).items()):
        key = schema.get((section, name))
        if key is None:
            continue  # reported by test_sora_conf_documents_every_key
        defaults = [l for l in lines if l.marker == ";"]
        set_lines = [l for l in lines if l.marker == ""]
        if "required" not in key.flags and not defaults and not set_lines:
            problems.append(f"etc/sora.conf [{section}] {name}: no ';{name} = "
                            f"{key.default}' line showing the default")
        for l in defaults + set_lines:
            if not same_default(l.value, key.default):
                problems.append(f"etc/sora.conf:{l.line}: [{section}] {name}: documented default "
                                f"{l.value!r}, the schema's is {key.default!r}")
    assert not problems, "\n".join(problems)


def test_man_page_documents_every_key(schema):
    documented, problems = parse_man_keys(SORA_CONF_5)
    problems += describe_difference("sora.conf(5)", documented, schema)
    assert not problems, "sora.conf(5) and the schema differ:\n" + "\n".join(problems)


def test_man_page_defaults_and_flags_match_schema(schema):
    documented, _ = parse_man_keys(SORA_CONF_5)
    problems = []
    for (section, name), doc in sorted(documented.items()):
        key = schema.get((section, name))
        if key is None:
            continue  # reported by test_man_page_documents_every_key
        where = f"sora.conf(5) line {doc.line}: [{section}] {name}"
        if not same_default(doc.default, key.default):
            problems.append(f"{where}: documented default {doc.default!r}, "
                            f"the schema's is {key.default!r}")
        if doc.required != ("required" in key.flags):
            problems.append(f"{where}: required is {doc.required} in the page, "
                            f"{'required' in key.flags} in the schema")
        if doc.reloadable != ("reloadable" in key.flags):
            problems.append(f"{where}: reloadable is {doc.reloadable} in the page, "
                            f"{'reloadable' in key.flags} in the schema")
        base, _, choices = key.type.partition("(")
        if doc.type.split()[0] != base:
            problems.append(f"{where}: type {doc.type!r} in the page, {base} in the schema")
        for choice in filter(None, choices.rstrip(")").split("|")):
            if not re.search(rf"(?<![\w.-]){re.escape(choice)}(?![\w-])", doc.type):
                problems.append(f"{where}: the type does not mention {choice!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("page", MAN_PAGES, ids=os.path.basename)
def test_man_page_renders_without_warnings(page):
    env = dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="80")
    run = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", page],
                         capture_output=True, text=True, env=env)
    assert run.returncode == 0, f"man -l {page} failed ({run.returncode}):\n{run.stderr}"
    assert run.stderr == "", f"man --warnings -l {page}:\n{run.stderr}"
    assert len(run.stdout.splitlines()) > 10, f"man -l {page} rendered next to nothing"


def sorad_help_options():
    if not os.access(SORAD, os.X_OK):
        pytest.fail(f"{SORAD} is missing: build sorad first (make), or set SORA_BUILDDIR "
                    "to the build tree")
    run = subprocess.run([SORAD, "--help"], capture_output=True, text=True)
    assert run.returncode == 0, f"sorad --help failed ({run.returncode}):\n{run.stderr}"
    options = set(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", run.stdout))
    assert "--help" in options, f"no option found in sorad --help:\n{run.stdout}"
    return options


def test_sorad_man_page_has_every_option():
    with open(os.path.join(SRCDIR, "man", "sorad.8")) as f:
        page = unroff(f.read())
    missing = sorted(o for o in sorad_help_options()
                     if not re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])", page))
    assert not missing, f"sorad(8) does not mention these options of sorad --help: {', '.join(missing)}"
