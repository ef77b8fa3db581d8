#!/usr/bin/env python3
"""Generates a realistic Nyash program of about N lines (default 100,000) for benchmarking
`nyash check`.

Usage: scripts/gen-big-program.py OUT.nyash [LINES]

The program mixes what real Nyash programs use most: boxes with fields, constructors and
delegation, static boxes, global functions, locals, loops, conditionals, string building,
ArrayBox/MapBox calls and try/catch. It is valid: `nyash check` must exit 0 on it.
"""

import sys


def module(i: int) -> str:
    return f"""// ---- module {i} ----
box Shape{i} {{
    init {{ name, width, height }}
    birth(name, width, height) {{
        me.name = name
        me.width = width
        me.height = height
    }}
    area() {{
        return me.width * me.height
    }}
    describe() {{
        local text = me.name + " " + me.area().toString()
        if me.width > me.height {{
            text = text + " (wide)"
        }} else if me.width == me.height {{
            text = text + " (square)"
        }} else {{
            text = text + " (tall)"
        }}
        return text
    }}
}}

box Labeled{i} from Shape{i} {{
    init {{ label }}
    birth(label) {{
        from Shape{i}.birth(label, {i % 7 + 1}, {i % 5 + 2})
        me.label = label
    }}
    override describe() {{
        return "[" + me.label + "] " + from Shape{i}.describe()
    }}
}}

function sum_to_{i}(n) {{
    local total = 0
    local k = 0
    loop(k < n) {{
        k = k + 1
        if k % 3 == 0 {{
            continue
        }}
        total = total + k
    }}
    return total
}}

function collect_{i}(n) {{
    local items = new ArrayBox()
    local index = new MapBox()
    local k = 0
    loop(k < n) {{
        items.push("item" + k)
        index.set("key" + k, k * 2)
        k = k + 1
    }}
    try {{
        if items.length() > 100 {{
            throw "too many items"
        }}
    }} catch (Error e) {{
        print("caught: " + e)
    }} finally {{
        counter = counter + 1
    }}
    return items.join(",")
}}

static box Registry{i} {{
    init {{ entries }}
    static {{
        me.entries = new ArrayBox()
    }}
    add(x) {{
        me.entries.push(x)
        return me.entries.length()
    }}
}}

"""


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    target = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    parts = ["counter = 0\n"]
    lines = 1
    i = 0
    while lines < target - 30:
        text = module(i)
        parts.append(text)
        lines += text.count("\n")
        i += 1
    main_lines = ["static box Main {", "    main(args) {", "        local shapes = new ArrayBox()"]
    for j in range(min(i, 20)):
        main_lines.append(f"        shapes.push(new Labeled{j}(\"s{j}\").describe())")
    main_lines += [
        "        print(shapes.join(\"\\n\"))",
        "        print(sum_to_0(10))",
        "        print(collect_0(5))",
        "        print(Registry0.add(1))",
        "        print(counter)",
        "    }",
        "}",
    ]
    parts.append("\n".join(main_lines) + "\n")
    lines += len(main_lines)
    with open(out, "w", encoding="utf-8") as f:
        f.write("".join(parts))
    print(f"wrote {out}: {lines} lines, {i} modules", file=sys.stderr)


if __name__ == "__main__":
    main()
