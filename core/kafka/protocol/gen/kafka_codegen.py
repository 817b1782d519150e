#!/usr/bin/env python3
"""kz Kafka codec generator: reads kz's schema files (core/kafka/protocol/schema/*.kzs) and writes
C++ message structs with one encode and one decode function per message/struct (all versions
handled by version branches) into the build directory. Never edit the output by hand.

Schema format: see docs/kafka-protocol.md. Python 3 standard library only.
"""

import argparse
import os
import re
import sys

PRIMITIVES = {
    # name: (C++ type, wire size in bytes or None if variable, reader/writer method)
    "bool": ("bool", 1, "boolean"),
    "int8": ("int8_t", 1, "int8"),
    "int16": ("int16_t", 2, "int16"),
    "uint16": ("uint16_t", 2, "uint16"),
    "int32": ("int32_t", 4, "int32"),
    "int64": ("int64_t", 8, "int64"),
    "float64": ("double", 8, "float64"),
    "uuid": ("Uuid", 16, "uuid"),
    "string": ("std::string", None, "string"),
    "bytes": ("Bytes", None, "bytes"),
    "records": ("Bytes", None, "bytes"),
}
NULLABLE_KINDS = ("string", "bytes", "records")
CHUNKS = 4


class SchemaError(Exception):
    pass


class Range:
    """An inclusive version range; hi None means open-ended ("3+")."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    @staticmethod
    def parse(text, where):
        m = re.fullmatch(r"(\d+)(\+|-(\d+))?", text)
        if not m:
            raise SchemaError(f"{where}: bad version range '{text}'")
        lo = int(m.group(1))
        if m.group(2) == "+":
            return Range(lo, None)
        if m.group(3) is not None:
            hi = int(m.group(3))
            if hi < lo:
                raise SchemaError(f"{where}: empty version range '{text}'")
            return Range(lo, hi)
        return Range(lo, lo)

    def contains(self, v):
        return v >= self.lo and (self.hi is None or v <= self.hi)

    def clamp(self, vmin, vmax):
        lo, hi = max(self.lo, vmin), vmax if self.hi is None else min(self.hi, vmax)
        return (lo, hi) if lo <= hi else None

    def intersect(self, other):
        lo = max(self.lo, other.lo)
        if self.hi is None:
            hi = other.hi
        elif other.hi is None:
            hi = self.hi
        else:
            hi = min(self.hi, other.hi)
        return Range(lo, hi) if hi is None or lo <= hi else None

    def __str__(self):
        if self.hi is None:
            return f"{self.lo}+"
        return str(self.lo) if self.lo == self.hi else f"{self.lo}-{self.hi}"


class Field:
    def __init__(self, name, type_text, line):
        self.name, self.type_text, self.line = name, type_text, line
        self.versions = Range(0, None)
        self.nullable = None
        self.tag = None
        self.default = None
        self.children = []
        self.is_array = type_text.startswith("[]")
        self.elem = type_text[2:] if self.is_array else type_text
        self.struct = None  # Struct, for struct-typed fields

    @property
    def is_struct(self):
        return self.elem not in PRIMITIVES


class Struct:
    def __init__(self, name, fields, cpp_path, func_name, versions):
        self.name, self.fields, self.cpp_path, self.func_name = name, fields, cpp_path, func_name
        self.versions = versions  # versions in which the struct can appear
        self.nested = []  # Structs declared inside this one (emitted before the fields)


class Api:
    def __init__(self, name, key, vmin, vmax, flexible, path):
        self.name, self.key, self.vmin, self.vmax, self.flexible, self.path = name, key, vmin, vmax, flexible, path
        self.request_header_v0 = None
        self.response_header_v0 = None
        self.commons = {}
        self.request = None
        self.response = None


def snake(name):
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    return s.lower()


def parse_field_line(text, where):
    parts = text.split()
    if len(parts) < 2:
        raise SchemaError(f"{where}: a field needs a name and a type: '{text}'")
    f = Field(parts[0], parts[1], where)
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", f.name):
        raise SchemaError(f"{where}: bad field name '{f.name}'")
    for attr in parts[2:]:
        if attr.startswith("v"):
            f.versions = Range.parse(attr[1:], where)
        elif attr.startswith("null"):
            f.nullable = Range.parse(attr[4:], where)
        elif attr.startswith("tag"):
            if not attr[3:].isdigit():
                raise SchemaError(f"{where}: bad tag '{attr}'")
            f.tag = int(attr[3:])
        elif attr.startswith("="):
            f.default = attr[1:]
        else:
            raise SchemaError(f"{where}: unknown attribute '{attr}'")
    return f


def parse_block(lines, i, indent, path):
    """Parses fields at `indent` starting at lines[i]; returns (fields, next index)."""
    fields = []
    while i < len(lines):
        lineno, depth, text = lines[i]
        if depth < indent:
            break
        if depth > indent:
            raise SchemaError(f"{path}:{lineno}: unexpected indentation")
        f = parse_field_line(text, f"{path}:{lineno}")
        i += 1
        if i < len(lines) and lines[i][1] > indent:
            f.children, i = parse_block(lines, i, indent + 1, path)
        fields.append(f)
    return fields, i


def parse_schema(path):
    with open(path, encoding="utf-8") as fh:
        raw = fh.read().splitlines()
    lines = []
    for n, line in enumerate(raw, 1):
        text = line.split("#", 1)[0].rstrip()
        if not text.strip():
            continue
        stripped = text.lstrip(" ")
        spaces = len(text) - len(stripped)
        if "\t" in text or spaces % 2:
            raise SchemaError(f"{path}:{n}: indent with two spaces per level")
        lines.append((n, spaces // 2, stripped))
    if not lines or not lines[0][2].startswith("api "):
        raise SchemaError(f"{path}: must start with an 'api' line")
    n, _, head = lines[0]
    words = head.split()
    attrs = dict(w.split("=", 1) for w in words[2:] if "=" in w)
    for required in ("key", "versions", "flexible"):
        if required not in attrs:
            raise SchemaError(f"{path}:{n}: api line needs {required}=")
    vr = Range.parse(attrs["versions"], f"{path}:{n}")
    if vr.hi is None:
        raise SchemaError(f"{path}:{n}: api versions need an upper bound")
    flexible = None if attrs["flexible"] == "none" else int(attrs["flexible"])
    api = Api(words[1], int(attrs["key"]), vr.lo, vr.hi, flexible, path)
    if "request_header_v0" in attrs:
        api.request_header_v0 = Range.parse(attrs["request_header_v0"], f"{path}:{n}")
    if "response_header_v0" in attrs:
        api.response_header_v0 = Range.parse(attrs["response_header_v0"], f"{path}:{n}")
    i = 1
    while i < len(lines):
        n, depth, text = lines[i]
        if depth != 0:
            raise SchemaError(f"{path}:{n}: expected 'request', 'response' or 'common'")
        words = text.split()
        if words[0] == "common" and len(words) == 2:
            fields, i = parse_block(lines, i + 1, 1, path)
            api.commons[words[1]] = fields
        elif words == ["request"] or words == ["response"]:
            fields, i = parse_block(lines, i + 1, 1, path)
            setattr(api, words[0], fields)
        else:
            raise SchemaError(f"{path}:{n}: unknown section '{text}'")
    if api.request is None or api.response is None:
        raise SchemaError(f"{path}: needs both a request and a response section")
    return api


class Message:
    """Resolves one request/response: builds the struct tree and validates it."""

    def __init__(self, api, direction, fields):
        self.api, self.direction = api, direction
        self.cpp_name = api.name + ("Request" if direction == "request" else "Response")
        self.all_structs = []  # post-order: children before parents
        self.used_commons = {}
        full = Range(api.vmin, api.vmax)
        self.root = self.build(self.cpp_name, fields, self.cpp_name, self.cpp_name, full, None)

    def where(self, f):
        return f"{self.api.path} ({self.cpp_name}.{f.name}, line {f.line})"

    def build(self, name, fields, cpp_path, func_name, versions, parent):
        st = Struct(name, fields, cpp_path, func_name, versions)
        names, tags = set(), set()
        for f in fields:
            w = self.where(f)
            if f.name in names:
                raise SchemaError(f"{w}: duplicate field")
            names.add(f.name)
            if f.versions.clamp(self.api.vmin, self.api.vmax) is None:
                raise SchemaError(f"{w}: versions {f.versions} outside the API's range")
            if f.nullable is not None and not (f.is_array or f.elem in NULLABLE_KINDS):
                raise SchemaError(f"{w}: only strings, bytes, records and arrays can be nullable")
            if f.tag is not None:
                if self.api.flexible is None or f.versions.lo < self.api.flexible:
                    raise SchemaError(f"{w}: tagged fields need flexible versions")
                if f.tag in tags:
                    raise SchemaError(f"{w}: duplicate tag {f.tag}")
                tags.add(f.tag)
            if f.is_struct:
                field_versions = versions.intersect(f.versions)
                if field_versions is None:
                    raise SchemaError(f"{w}: present in no version of its enclosing struct")
                if f.children:
                    child = self.build(f.elem, f.children, f"{cpp_path}::{f.elem}", f"{func_name}_{f.elem}",
                                       field_versions, st)
                    st.nested.append(child)
                    f.struct = child
                elif f.elem in self.api.commons:
                    if f.elem not in self.used_commons:
                        common = self.build(f.elem, self.api.commons[f.elem], f"{self.cpp_name}::{f.elem}",
                                            f"{self.cpp_name}_{f.elem}", Range(self.api.vmin, self.api.vmax),
                                            None)
                        self.used_commons[f.elem] = common
                    f.struct = self.used_commons[f.elem]
                else:
                    raise SchemaError(f"{w}: unknown type '{f.type_text}' (struct fields need children)")
            elif f.children:
                raise SchemaError(f"{w}: a primitive field cannot have children")
            if f.default is not None:
                validate_default(f, w)
        if parent is not None or name != self.cpp_name:
            self.check_not_empty(st)
        self.all_structs.append(st)
        return st

    def check_not_empty(self, st):
        # Arrays are bounded by "count <= remaining bytes", which assumes each element takes at
        # least one byte: true in flexible versions (tag section) or when some field is present.
        for v in range(self.api.vmin, self.api.vmax + 1):
            if not st.versions.contains(v) or (self.api.flexible is not None and v >= self.api.flexible):
                continue
            if not any(f.tag is None and f.versions.contains(v) for f in st.fields):
                raise SchemaError(f"{self.api.path}: struct {st.name} has no fields in v{v}")


def validate_default(f, where):
    d = f.default
    if f.is_array:
        if d != "null":
            raise SchemaError(f"{where}: arrays only take the default 'null'")
    elif d == "null":
        if f.nullable is None:
            raise SchemaError(f"{where}: default null on a non-nullable field")
    elif f.elem == "bool":
        if d not in ("true", "false"):
            raise SchemaError(f"{where}: bool default must be true or false")
    elif f.elem in ("int8", "int16", "uint16", "int32", "int64"):
        if not re.fullmatch(r"-?\d+", d):
            raise SchemaError(f"{where}: integer default expected, got '{d}'")
        bits = {"int8": 8, "int16": 16, "uint16": 16, "int32": 32, "int64": 64}[f.elem]
        lo, hi = (0, 2**bits - 1) if f.elem == "uint16" else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
        if not lo <= int(d) <= hi:
            raise SchemaError(f"{where}: default {d} out of range for {f.elem}")
    elif f.elem == "string":
        if not re.fullmatch(r'"[^"\\]*"', d):
            raise SchemaError(f"{where}: string default must be a quoted literal")
    else:
        raise SchemaError(f"{where}: no defaults for {f.elem}")


# ----------------------------------------------------------------------------------------------
# C++ emission


def cpp_int_literal(elem, d):
    if elem == "int64":
        return "INT64_MIN" if int(d) == -(2**63) else f"int64_t{{{d}}}"
    if elem == "int32" and int(d) == -(2**31):
        return "INT32_MIN"
    return d


def base_type(f):
    if f.is_array:
        inner = f.struct.cpp_path.split("::")[-1] if f.is_struct else PRIMITIVES[f.elem][0]
        return f"std::vector<{inner}>"
    if f.is_struct:
        return f.struct.cpp_path.split("::")[-1]
    return PRIMITIVES[f.elem][0]


def cpp_type(f):
    t = base_type(f)
    return f"std::optional<{t}>" if f.nullable is not None else t


def default_expr(f):
    """C++ expression of the field's default value, or None for value-initialisation."""
    d = f.default
    if f.nullable is not None:
        if d == "null":
            return None  # std::nullopt
        inner = base_type(f)
        return f"{inner}({d})" if d is not None and f.elem == "string" else f"{inner}()"
    if d is None:
        return None
    if f.elem == "bool":
        return d
    if f.elem == "string":
        return d
    return cpp_int_literal(f.elem, d)


def member_decl(f):
    d = default_expr(f)
    name = snake(f.name)
    if d is None:
        return f"{cpp_type(f)} {name}{{}};"
    return f"{cpp_type(f)} {name} = {d};"


def version_cond(rng, api):
    """C++ condition for `version` in rng (within the API's range), or None when always true."""
    c = rng.clamp(api.vmin, api.vmax)
    if c is None:
        return "false"
    lo, hi = c
    parts = []
    if lo > api.vmin:
        parts.append(f"version >= {lo}")
    if hi < api.vmax:
        parts.append(f"version <= {hi}")
    if lo == hi and len(parts) == 2:
        return f"version == {lo}"
    return " && ".join(parts) if parts else None


def nullable_cond(f, api):
    if f.nullable is None:
        return "false"
    present = f.versions.intersect(Range(api.vmin, api.vmax))
    nullable_present = f.nullable.intersect(present) if present else None
    if nullable_present is None:
        return "false"
    # Nullable in every version where the field exists?
    pc = present.clamp(api.vmin, api.vmax)
    nc = nullable_present.clamp(api.vmin, api.vmax)
    if pc == nc:
        return "true"
    return version_cond(f.nullable, api) or "true"


def elem_min_bytes(f):
    if f.is_struct:
        return "1"
    size = PRIMITIVES[f.elem][1]
    if size is not None:
        return str(size)
    return "(flexible ? 1 : 2)" if f.elem == "string" else "(flexible ? 1 : 4)"


def non_default_cond(f, expr):
    """C++ condition: the tagged field differs from its default (so it must be written)."""
    if f.nullable is not None and f.default == "null":
        return f"{expr}.has_value()"
    if f.is_array:
        return f"!{expr}.empty()" if f.nullable is None else f"(!{expr}.has_value() || !{expr}->empty())"
    d = default_expr(f)
    if f.is_struct:
        return f"!({expr} == {base_type(f)}{{}})"
    if f.elem in ("bytes", "records") or f.nullable is not None:
        return f"!({expr} == {d or cpp_type(f) + '{}'})"
    if f.elem == "string":
        return f"{expr} != {d or chr(34) * 2}"
    if f.elem == "uuid":
        return f"{expr} != Uuid{{}}"
    return f"{expr} != {d or '0'}"


class Emitter:
    def __init__(self, api, msg):
        self.api, self.msg = api, msg

    # -- encode --------------------------------------------------------------------------------
    def encode_scalar(self, f, w, expr, label, nb):
        kind = f.elem
        if f.is_struct:
            return [f"KZ_CODEC_NESTED(encode_{f.struct.func_name}({w}, version, {expr}), \"{label}\", -1);"]
        method = PRIMITIVES[kind][2]
        if kind in ("string", "bytes", "records"):
            if f.nullable is not None and nb is not None:
                return [f"KZ_CODEC_FIELD({w}.nullable_{method}({expr}, flexible, {nb}), \"{label}\");"]
            return [f"KZ_CODEC_FIELD({w}.{method}({expr}, flexible), \"{label}\");"]
        return [f"{w}.{method}({expr});"]

    def encode_value(self, f, w, expr):
        label = f.name
        nb = nullable_cond(f, self.api)
        if not f.is_array:
            return self.encode_scalar(f, w, expr, label, nb)
        out = []
        if f.nullable is not None:
            out += [f"if (!{expr}.has_value()) {{",
                    f"  if (!({nb})) return codec::field_error(Status(Code::kInvalidArgument, "
                    f"\"null is not allowed in this version\"), \"{label}\");",
                    f"  {w}.null_array(flexible);",
                    "} else {"]
            arr = f"(*{expr})"
        else:
            out.append("{")
            arr = expr
        out.append(f"  KZ_CODEC_FIELD({w}.array_length({arr}.size(), flexible), \"{label}\");")
        if f.is_struct:
            out += [f"  for (size_t i = 0; i < {arr}.size(); i++) {{",
                    f"    KZ_CODEC_NESTED(encode_{f.struct.func_name}({w}, version, {arr}[i]), \"{label}\", "
                    "static_cast<int64_t>(i));",
                    "  }"]
        else:
            elem_field = Field(f.name, f.elem, f.line)
            out.append(f"  for (const auto& element : {arr}) {{")
            out += ["    " + line for line in self.encode_scalar(elem_field, w, "element", label + "[]", None)]
            out.append("  }")
        out.append("}")
        return out

    def encode_struct(self, st):
        t = st.cpp_path
        out = [f"Status encode_{st.func_name}(Writer& w, int16_t version, const {t}& m) {{",
               f"  [[maybe_unused]] const bool flexible = {self.flexible_expr()};"]
        tagged = sorted((f for f in st.fields if f.tag is not None), key=lambda f: f.tag)
        for f in st.fields:
            if f.tag is not None:
                continue
            body = self.encode_value(f, "w", f"m.{snake(f.name)}")
            out += indent_block(body, version_cond(f.versions, self.api), 1)
        if self.api.flexible is not None and self.api.flexible <= self.api.vmax:
            out.append("  if (flexible) {")
            if not tagged:
                out.append("    w.unsigned_varint(0);")
            else:
                out.append("    uint32_t tagged_count = 0;")
                for f in tagged:
                    cond = version_cond(f.versions, self.api)
                    present = non_default_cond(f, f"m.{snake(f.name)}")
                    full = f"({cond}) && {present}" if cond else present
                    out.append(f"    const bool tag{f.tag}_present = {full};")
                    out.append(f"    if (tag{f.tag}_present) tagged_count++;")
                out.append("    w.unsigned_varint(tagged_count);")
                for f in tagged:
                    out.append(f"    if (tag{f.tag}_present) {{")
                    out.append("      Writer t;")
                    out += ["      " + line for line in self.encode_value(f, "t", f"m.{snake(f.name)}")]
                    out.append(f"      w.unsigned_varint({f.tag});")
                    out.append("      w.unsigned_varint(static_cast<uint32_t>(t.size()));")
                    out.append("      w.raw(t.data());")
                    out.append("    }")
            out.append("  }")
        out += ["  return Status::ok();", "}", ""]
        return out

    # -- decode --------------------------------------------------------------------------------
    def decode_scalar(self, f, r, target, label, nb):
        """Lines decoding one value into `target` (an lvalue)."""
        kind = f.elem
        if f.is_struct:
            return [f"KZ_CODEC_NESTED(decode_{f.struct.func_name}({r}, version, {target}), \"{label}\", -1);"]
        method = PRIMITIVES[kind][2]
        if kind in ("string", "bytes", "records"):
            if f.nullable is not None and nb is not None:
                return [f"KZ_CODEC_FIELD({r}.nullable_{method}(&{target}, flexible, {nb}), \"{label}\");"]
            return [f"KZ_CODEC_FIELD({r}.{method}(&{target}, flexible), \"{label}\");"]
        return [f"KZ_CODEC_FIELD({r}.{method}(&{target}), \"{label}\");"]

    def decode_value(self, f, r, expr):
        label = f.name
        nb = nullable_cond(f, self.api)
        if not f.is_array:
            return self.decode_scalar(f, r, expr, label, nb)
        elem_t = base_type(f)[len("std::vector<"):-1]
        out = ["{", "  int32_t count = 0;",
               f"  KZ_CODEC_FIELD({r}.array_length(&count, flexible, {nb}, {elem_min_bytes(f)}), \"{label}\");"]
        if f.nullable is not None:
            out += [f"  if (count < 0) {{", f"    {expr}.reset();", "  } else {",
                    f"    auto& array = {expr}.emplace();"]
        else:
            out += ["  {", f"    auto& array = {expr};", "    array.clear();"]
        # Only fixed-size numbers are reserved up front: their count was checked against the
        # remaining bytes at their exact wire size, so the allocation is bounded by the input.
        if not f.is_struct and PRIMITIVES[f.elem][1] is not None and f.elem not in ("bool", "uuid"):
            out.append("    array.reserve(static_cast<size_t>(count));")
        out.append("    for (int32_t i = 0; i < count; i++) {")
        if f.is_struct:
            out += ["      array.emplace_back();",
                    f"      KZ_CODEC_NESTED(decode_{f.struct.func_name}({r}, version, array.back()), \"{label}\", i);"]
        else:
            elem_field = Field(f.name, f.elem, f.line)
            out.append(f"      {elem_t} element{{}};")
            out += ["      " + line for line in self.decode_scalar(elem_field, r, "element", label + "[]", None)]
            out.append("      array.push_back(std::move(element));")
        out += ["    }", "  }", "}"]
        return out

    def decode_struct(self, st):
        t = st.cpp_path
        out = [f"Status decode_{st.func_name}(Reader& r, int16_t version, {t}& m) {{",
               f"  [[maybe_unused]] const bool flexible = {self.flexible_expr()};"]
        tagged = sorted((f for f in st.fields if f.tag is not None), key=lambda f: f.tag)
        for f in st.fields:
            if f.tag is not None:
                continue
            body = self.decode_value(f, "r", f"m.{snake(f.name)}")
            out += indent_block(body, version_cond(f.versions, self.api), 1)
        if self.api.flexible is not None and self.api.flexible <= self.api.vmax:
            out += ["  if (flexible) {",
                    "    uint32_t tagged_count = 0;",
                    "    KZ_CODEC_FIELD(r.unsigned_varint(&tagged_count), \"tagged fields\");",
                    "    // Each tagged field takes at least two bytes, so this loop is bounded by the input.",
                    "    for (uint32_t n = 0; n < tagged_count; n++) {",
                    "      uint32_t tag = 0;",
                    "      uint32_t size_bytes = 0;",
                    "      KZ_CODEC_FIELD(r.unsigned_varint(&tag), \"tagged fields\");",
                    "      KZ_CODEC_FIELD(r.unsigned_varint(&size_bytes), \"tagged fields\");",
                    "      Reader t{std::span<const uint8_t>{}};",
                    "      KZ_CODEC_FIELD(r.sub_reader(size_bytes, &t), \"tagged fields\");"]
            if tagged:
                out.append("      switch (tag) {")
                for f in tagged:
                    out.append(f"        case {f.tag}: {{")
                    body = self.decode_value(f, "t", f"m.{snake(f.name)}")
                    out += indent_block(body, version_cond(f.versions, self.api), 5)
                    out += ["          break;", "        }"]
                out += ["        default:", "          break;  // unknown tags are skipped (KIP-482)", "      }"]
            else:
                out.append("      (void)tag;  // unknown tags are skipped (KIP-482)")
            out += ["    }", "  }"]
        out += ["  return Status::ok();", "}", ""]
        return out

    def flexible_expr(self):
        f = self.api.flexible
        if f is None or f > self.api.vmax:
            return "false"
        return "true" if f <= self.api.vmin else f"version >= {f}"


def indent_block(lines, cond, level):
    pad = "  " * level
    if cond is None:
        return [pad + line for line in lines]
    return [f"{pad}if ({cond}) {{"] + [pad + "  " + line for line in lines] + [pad + "}"]


def emit_struct_decl(st, level, msg, top):
    pad = "  " * level
    out = [f"{pad}struct {st.name} {{"]
    if top:
        api = msg.api
        out += [f"{pad}  static constexpr int16_t kApiKey = {api.key};",
                f"{pad}  static constexpr std::string_view kApiName = \"{api.name}\";",
                f"{pad}  static constexpr int16_t kVersionMin = {api.vmin};",
                f"{pad}  static constexpr int16_t kVersionMax = {api.vmax};",
                ""]
        for common in msg.used_commons.values():
            out += emit_struct_decl(common, level + 1, msg, False)
    for child in st.nested:
        out += emit_struct_decl(child, level + 1, msg, False)
    for f in st.fields:
        out.append(f"{pad}  {member_decl(f)}")
    if top:
        out += ["",
                f"{pad}  // Appends the body (no header) in `version`'s layout.",
                f"{pad}  Status encode(Writer& writer, int16_t version) const;",
                f"{pad}  // Reads the body (no header); errors name the API, version and field.",
                f"{pad}  Status decode(Reader& reader, int16_t version);"]
    out += ["", f"{pad}  bool operator==(const {st.name}&) const = default;", f"{pad}}};", ""]
    return out


def emit_message_cc(msg):
    em = Emitter(msg.api, msg)
    out = []
    structs = list(msg.used_commons.values())
    structs += [s for s in msg.all_structs if s not in structs]
    for st in structs:
        out += em.encode_struct(st)
        out += em.decode_struct(st)
    return out


def emit_message_methods(msg):
    api, name, d = msg.api, msg.cpp_name, msg.direction
    return [
        f"Status {name}::encode(Writer& writer, int16_t version) const {{",
        "  if (version < kVersionMin || version > kVersionMax) {",
        f"    return codec::unsupported_version(kApiName, \"{d}\", version, kVersionMin, kVersionMax);",
        "  }",
        f"  Status status = encode_{name}(writer, version, *this);",
        f"  if (!status.is_ok()) return codec::message_error(status, kApiName, \"{d}\", version);",
        "  return Status::ok();",
        "}",
        "",
        f"Status {name}::decode(Reader& reader, int16_t version) {{",
        "  if (version < kVersionMin || version > kVersionMax) {",
        f"    return codec::unsupported_version(kApiName, \"{d}\", version, kVersionMin, kVersionMax);",
        "  }",
        f"  Status status = decode_{name}(reader, version, *this);",
        f"  if (!status.is_ok()) return codec::message_error(status, kApiName, \"{d}\", version);",
        "  return Status::ok();",
        "}",
        "",
    ]


HEADER_NOTE = "// GENERATED by core/kafka/protocol/gen/kafka_codegen.py from core/kafka/protocol/schema/*.kzs.\n// Do not edit: change the schema or the generator instead.\n"


def generate(apis, out_dir):
    apis = sorted(apis, key=lambda a: a.key)
    keys = [a.key for a in apis]
    if len(set(keys)) != len(keys):
        raise SchemaError("two schema files use the same api key")
    messages = []
    for api in apis:
        api.req_msg = Message(api, "request", api.request)
        api.resp_msg = Message(api, "response", api.response)
        messages += [api.req_msg, api.resp_msg]

    h = [HEADER_NOTE, "// Kafka request/response bodies, one struct per message, for the versions kz serves.",
         "#pragma once", "", "#include <cstdint>", "#include <optional>", "#include <string>",
         "#include <string_view>", "#include <variant>", "#include <vector>", "",
         '#include "core/base/status.h"', '#include "core/kafka/protocol/wire.h"', "",
         "namespace kz::kafka {", ""]
    for msg in messages:
        h += emit_struct_decl(msg.root, 0, msg, True)
    h.append("// Every request kz can decode, and every response it can encode, as one value type.")
    h.append("using Request = std::variant<" + ", ".join(a.req_msg.cpp_name for a in apis) + ">;")
    h.append("using Response = std::variant<" + ", ".join(a.resp_msg.cpp_name for a in apis) + ">;")
    h += ["", "// One row per API key, from the schema files (see api_keys.h).",
          "struct ApiSchemaRow {",
          "  int16_t api_key;",
          "  std::string_view name;",
          "  int16_t version_min;",
          "  int16_t version_max;",
          "  int16_t flexible_version_min;  // -1: no flexible version",
          "  int16_t request_header_v0_min;  // versions in [min, max] use request header v0; -1: none",
          "  int16_t request_header_v0_max;",
          "  int16_t response_header_v0_min;  // versions in [min, max] use response header v0 always",
          "  int16_t response_header_v0_max;",
          "};",
          f"inline constexpr size_t kApiSchemaRowCount = {len(apis)};",
          "extern const ApiSchemaRow kApiSchemaRows[kApiSchemaRowCount];",
          "",
          "namespace generated {",
          "// Decodes a request/response body of `api_key` at `version`; kNotFound for an unknown key.",
          "Result<Request> decode_request_body(int16_t api_key, int16_t version, Reader& reader);",
          "Result<Response> decode_response_body(int16_t api_key, int16_t version, Reader& reader);",
          "}  // namespace generated",
          "",
          "}  // namespace kz::kafka", ""]
    files = {"messages.h": "\n".join(h)}

    chunks = [[] for _ in range(CHUNKS)]
    for i, api in enumerate(apis):
        chunks[i % CHUNKS].append(api)
    for i, chunk in enumerate(chunks):
        cc = [HEADER_NOTE, '#include "core/kafka/protocol/generated/messages.h"', "",
              '#include "core/kafka/protocol/codec_support.h"', "", "namespace kz::kafka {", "namespace {", ""]
        for api in chunk:
            for msg in (api.req_msg, api.resp_msg):
                cc += emit_message_cc(msg)
        cc += ["}  // namespace", ""]
        for api in chunk:
            for msg in (api.req_msg, api.resp_msg):
                cc += emit_message_methods(msg)
        cc += ["}  // namespace kz::kafka", ""]
        files[f"messages_{i}.cc"] = "\n".join(cc)

    def rng(r, api):
        # An open range ("0+") stays open (32767): it also covers versions newer than kz serves,
        # which matters for answering a too-new ApiVersions request with the right header.
        if r is None:
            return "-1, -1"
        return f"{r.lo}, {32767 if r.hi is None else r.hi}"

    d = [HEADER_NOTE, '#include "core/kafka/protocol/generated/messages.h"', "", "namespace kz::kafka {", "",
         "const ApiSchemaRow kApiSchemaRows[kApiSchemaRowCount] = {"]
    for api in apis:
        flex = -1 if api.flexible is None else api.flexible
        d.append(f"    {{{api.key}, \"{api.name}\", {api.vmin}, {api.vmax}, {flex}, "
                 f"{rng(api.request_header_v0, api)}, {rng(api.response_header_v0, api)}}},")
    d += ["};", "", "namespace generated {", ""]
    for kind, variant in (("request", "Request"), ("response", "Response")):
        d += [f"Result<{variant}> decode_{kind}_body(int16_t api_key, int16_t version, Reader& reader) {{",
              "  switch (api_key) {"]
        for index, api in enumerate(apis):
            msg = api.req_msg if kind == "request" else api.resp_msg
            # in_place_index avoids the variant's converting-constructor overload resolution,
            # which is quadratic in the number of alternatives and dominated compile time.
            d += [f"    case {api.key}: {{",
                  f"      {msg.cpp_name} message;",
                  "      KZ_RETURN_IF_ERROR(message.decode(reader, version));",
                  f"      return {variant}(std::in_place_index<{index}>, std::move(message));",
                  "    }"]
        d += ["    default:",
              f"      return Status(Code::kNotFound, \"unknown api key \" + std::to_string(api_key));",
              "  }", "}", ""]
    d += ["}  // namespace generated", "}  // namespace kz::kafka", ""]
    files["dispatch.cc"] = "\n".join(d)

    os.makedirs(out_dir, exist_ok=True)
    for name, text in files.items():
        path = os.path.join(out_dir, name)
        # Rewrite only on change so unchanged outputs do not trigger recompiles.
        old = None
        if os.path.exists(path):
            with open(path, encoding="utf-8") as fh:
                old = fh.read()
        if old != text:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("schemas", nargs="+")
    args = ap.parse_args()
    try:
        generate([parse_schema(p) for p in args.schemas], args.out_dir)
    except SchemaError as e:
        print(f"kafka_codegen: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
