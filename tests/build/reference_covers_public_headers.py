#!/usr/bin/env python3
"""docs/REFERENCE.md mentions every public name of weft's public headers.

Usage: reference_covers_public_headers.py SOURCE_DIR

Reads every header under <layer>/include/weft/ (runtime, instrument, process, tools), except
those under detail/, and collects
  * the namespace-scope classes, structs, unions, enums (and their enumerators), concepts,
    aliases and functions of namespaces weft, weft::ipc and weft::this_thread — never of a
    namespace named detail, never class members;
  * the WEFT_* macros the headers define or test (#define, #ifdef, #ifndef, defined()), except
    the WEFT_DETAIL_* expansion machinery.
Each name must appear as an identifier in an inline code span of docs/REFERENCE.md (`Name`,
`weft::Name`, `Name(args)`, ...). Missing names are printed one per line and the test fails.

The extraction is a small scanner, not a C++ parser: comments, string literals and
preprocessor lines are blanked out, then braces, parentheses and `;` delimit the statements at
namespace scope. Both branches of an #if are scanned. If a header's braces do not balance, or
well-known names are not found, the script fails rather than pass on a broken extraction.
"""
import pathlib
import re
import sys

LAYERS = ("runtime", "instrument", "process", "tools")
PUBLIC_NAMESPACES = {("weft",), ("weft", "ipc"), ("weft", "this_thread")}

# Names in public headers that are not API and need no line in the reference, with the reason.
# Keep it short: a name a user can see and call belongs in the reference (its "Not API" section
# says so when it is private).
ALLOWED = {
    # locks.hpp #defines it to write the std:: lock specialisations and #undefs it right after:
    # no code that includes the header can ever use it.
    "WEFT_SPECIALIZE_LOCKS": "defined and undefined inside weft/locks.hpp",
}

# Found in any correct extraction; if one is missing, the scanner is broken, not the reference.
MUST_FIND = {"explore", "Options", "BugKind", "Deadlock", "Mutex", "Queue", "Value", "wait",
             "as_completed", "serialize", "Serializable", "sleep_for", "WEFT_ASSERT",
             "WEFT_CHECK_EXPLORE", "WEFT_SCENARIO", "WEFT_PRODUCTION_ONLY", "scenarios"}

KEYWORDS = {"if", "for", "while", "switch", "return", "sizeof", "alignof", "alignas", "decltype",
            "noexcept", "requires", "static_assert", "operator", "throw", "new", "delete",
            "template", "typename", "class", "struct", "void", "auto", "const", "explicit"}


def blank_comments_and_literals(text):
    """Comments and string/char literals become spaces; newlines are kept."""
    pattern = re.compile(
        r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.S)
    return pattern.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def preprocessor_lines(text):
    """(directive lines joined across backslash continuations, text with them blanked)."""
    lines = text.split("\n")
    directives = []
    out = []
    i = 0
    while i < len(lines):
        if lines[i].lstrip().startswith("#"):
            joined = lines[i]
            out.append("")
            while joined.endswith("\\") and i + 1 < len(lines):
                i += 1
                joined = joined[:-1] + " " + lines[i]
                out.append("")
            directives.append(joined)
        else:
            out.append(lines[i])
        i += 1
    return directives, "\n".join(out)


def macros(directives):
    found = set()
    for d in directives:
        m = re.match(r"\s*#\s*(?:define|ifdef|ifndef|undef)\s+(WEFT_\w+)", d)
        if m:
            found.add(m.group(1))
        if re.match(r"\s*#\s*(?:if|elif)\b", d):
            found.update(re.findall(r"defined\s*\(?\s*(WEFT_\w+)", d))
    return {name for name in found if not name.startswith("WEFT_DETAIL_")}


def strip_template_heads(stmt):
    """Removes leading `template <...>` heads and [[attributes]]."""
    while True:
        stmt = stmt.strip()
        m = re.match(r"\[\[.*?\]\]", stmt, re.S)
        if m:
            stmt = stmt[m.end():]
            continue
        m = re.match(r"template\s*<", stmt)
        if not m:
            return stmt
        depth = 1
        i = m.end()
        while i < len(stmt) and depth > 0:
            depth += {"<": 1, ">": -1}.get(stmt[i], 0)
            i += 1
        stmt = stmt[i:]


def skip_parens(stmt, i):
    """The index after the parenthesised group that starts at stmt[i] == '('."""
    depth = 0
    while i < len(stmt):
        depth += {"(": 1, ")": -1}.get(stmt[i], 0)
        i += 1
        if depth == 0:
            break
    return i


def function_name(stmt):
    """The unqualified name before the first `(` outside template brackets, or None."""
    depth = 0
    i = 0
    token = re.compile(r"\s+|::|<|>|\(|[A-Za-z_]\w*|.")
    while i < len(stmt):
        m = token.match(stmt, i)
        tok = m.group(0)
        i = m.end()
        rest = stmt[i:].lstrip()
        if tok == "<":
            depth += 1
        elif tok == ">":
            depth = max(0, depth - 1)
        elif tok == "(":
            return None
        elif tok in ("requires", "decltype", "noexcept", "alignas") and rest.startswith("("):
            i = skip_parens(stmt, stmt.index("(", i))  # requires(...), decltype(...)
        elif depth == 0 and re.match(r"[A-Za-z_]", tok) and tok not in KEYWORDS:
            if rest.startswith("("):
                before = stmt[:m.start()].rstrip()
                if before.endswith("::") or before.endswith("~"):
                    return None  # an out-of-class member definition, a destructor
                return tok
    return None


def classify(stmt):
    """[(kind, name)] declared by one namespace-scope statement (text before `;` or `{`)."""
    stmt = strip_template_heads(" ".join(stmt.split()))
    stmt = re.sub(r"^(?:inline|constexpr|static|extern|export)\s+", "", stmt)
    if not stmt or stmt.startswith(("using namespace", "friend", "static_assert")):
        return []
    m = re.match(r"enum\s+(?:class\s+|struct\s+)?([A-Za-z_]\w*)", stmt)
    if m:
        return [("enum", m.group(1))]
    m = re.match(r"(class|struct|union)\s+(?:\[\[.*?\]\]\s*)?([A-Za-z_]\w*)\s*(?:final\b)?\s*"
                 r"(?::(?!:)|$)", stmt)
    if m:
        return [(m.group(1), m.group(2))]
    if re.match(r"(class|struct|union)\s", stmt):
        return []  # a specialisation (struct std::hash<...>) or a qualified name
    m = re.match(r"concept\s+([A-Za-z_]\w*)", stmt)
    if m:
        return [("concept", m.group(1))]
    m = re.match(r"using\s+([A-Za-z_]\w*)\s*=", stmt)
    if m:
        return [("alias", m.group(1))]
    name = function_name(stmt)
    return [("function", name)] if name else []


def scan(code, path):
    """Namespace-scope declarations of the public namespaces: [(kind, name, namespace)]."""
    found = []
    stack = []  # ("ns", (parts...)) | ("enum", name) | ("block", None)
    stmt = []
    paren = 0

    def namespace():
        parts = []
        for kind, value in stack:
            if kind != "ns":
                return None
            parts.extend(value)
        return tuple(parts)

    for tok in re.finditer(r"[{}();]|[^{}();]+", code):
        t = tok.group(0)
        if t == "(":
            paren += 1
            stmt.append(t)
        elif t == ")":
            paren -= 1
            stmt.append(t)
        elif paren > 0:
            stmt.append(t)
        elif t == ";":
            ns = namespace()
            if ns in PUBLIC_NAMESPACES:
                found += [(k, n, ns) for k, n in classify("".join(stmt))]
            stmt = []
        elif t == "{":
            text = " ".join("".join(stmt).split())
            ns = namespace()
            m = re.fullmatch(r"(?:inline\s+)?namespace\s+([\w:]+)", text)
            if m and ns is not None:
                stack.append(("ns", tuple(m.group(1).split("::"))))
            else:
                decls = classify(text) if ns in PUBLIC_NAMESPACES else []
                found += [(k, n, ns) for k, n in decls]
                is_enum = len(decls) == 1 and decls[0][0] == "enum"
                stack.append(("enum", ns) if is_enum else ("block", None))
            stmt = []
        elif t == "}":
            if not stack:
                sys.exit(f"{path}: unbalanced '}}': cannot scan this header")
            kind, ns = stack.pop()
            if kind == "enum":
                for enumerator in "".join(stmt).split(","):
                    m = re.match(r"\s*([A-Za-z_]\w*)", enumerator)
                    if m:
                        found.append(("enumerator", m.group(1), ns))
            stmt = []
        else:
            stmt.append(t)
    if stack or paren:
        sys.exit(f"{path}: unbalanced braces or parentheses: cannot scan this header")
    return found


def inline_code_identifiers(markdown):
    text = re.sub(r"^```.*?^```", "", markdown, flags=re.S | re.M)  # fenced blocks do not count
    words = set()
    for span in re.findall(r"(`+)([^`]+)\1", text):  # a span may continue on the next line
        words.update(re.findall(r"[A-Za-z_]\w*", span[1]))
    return words


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    root = pathlib.Path(sys.argv[1])
    reference = root / "docs" / "REFERENCE.md"
    if not reference.is_file():
        sys.exit(f"{reference} does not exist")
    documented = inline_code_identifiers(reference.read_text(encoding="utf-8"))

    names = {}  # name -> (what, header) of its first declaration
    headers = 0
    for layer in LAYERS:
        include = root / layer / "include"
        for header in sorted(include.glob("weft/**/*.hpp")):
            rel = header.relative_to(include)
            if "detail" in rel.parts:
                continue
            headers += 1
            shown = header.relative_to(root).as_posix()
            directives, code = preprocessor_lines(
                blank_comments_and_literals(header.read_text(encoding="utf-8")))
            for name in sorted(macros(directives)):
                names.setdefault(name, ("macro", shown))
            for kind, name, ns in scan(code, shown):
                names.setdefault(name, (f"{kind} in {'::'.join(ns)}", shown))

    broken = sorted(MUST_FIND - names.keys())
    if headers == 0 or broken:
        sys.exit(f"the header scan is broken: {headers} headers read, not found: {broken}")
    stale = sorted(set(ALLOWED) - names.keys())
    if stale:
        for name in stale:
            print(f"allow-list entry `{name}` is in no public header any more: remove it")
        return 1

    missing = sorted(n for n in names if n not in documented and n not in ALLOWED)
    for name in missing:
        what, header = names[name]
        print(f"docs/REFERENCE.md does not mention `{name}` ({what}, {header})")
    if missing:
        print(f"{len(missing)} public name(s) missing from docs/REFERENCE.md: document them "
              "there, or (internal helpers only) add them to ALLOWED in "
              "tests/build/reference_covers_public_headers.py with the reason")
        return 1
    print(f"docs/REFERENCE.md mentions all {len(names) - len(ALLOWED)} public names of "
          f"{headers} public headers ({len(ALLOWED)} allowed as internal)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
