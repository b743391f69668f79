"""Docs kept true by a test: docs/openapi.yaml describes exactly the routes of the route table
(src/http/routes.c, printed by `bashgah routes`), it is a well-formed OpenAPI 3 document whose references all
resolve, and every command listed by `bashgah --help` answers its own --help.

Environment: BASHGAH_BIN (the built binary), BASHGAH_SRC (source root). Needs Debian's python3-yaml.
"""

import os
import re
import subprocess
import tempfile
import unittest

import yaml

SRC = os.environ.get("BASHGAH_SRC") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("BASHGAH_BIN") or os.path.join(SRC, "build", "bashgah")
OPENAPI = os.path.join(SRC, "docs", "openapi.yaml")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
CLI_TIMEOUT_S = 30


def run_bashgah(*args):
    """Runs the binary in an empty directory with no BASHGAH_* settings, so nothing it reads or writes leaks."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BASHGAH_")}
    with tempfile.TemporaryDirectory(prefix="bashgah-docs-") as cwd:
        return subprocess.run([BIN, *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=CLI_TIMEOUT_S)


def load_openapi():
    with open(OPENAPI, encoding="utf-8") as f:
        return yaml.safe_load(f)


def spec_routes(doc):
    """The (METHOD, path) pairs the document describes."""
    return {(method.upper(), path)
            for path, item in (doc.get("paths") or {}).items()
            for method in item
            if method in HTTP_METHODS}


def binary_routes():
    p = run_bashgah("routes")
    if p.returncode != 0:
        raise AssertionError("`bashgah routes` exited %d: %s" % (p.returncode, p.stderr))
    routes = set()
    for line in p.stdout.splitlines():
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2:
            raise AssertionError("`bashgah routes` printed a line that is not METHOD PATH: %r" % line)
        routes.add((parts[0], parts[1]))
    return routes


def describe(pairs):
    return "\n".join("  %s %s" % p for p in sorted(pairs, key=lambda p: (p[1], p[0])))


class OpenApiDocumentTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.doc = load_openapi()

    def test_is_openapi_3(self):
        self.assertIsInstance(self.doc, dict, "docs/openapi.yaml is not a YAML mapping")
        version = str(self.doc.get("openapi", ""))
        self.assertRegex(version, r"^3\.\d+\.\d+$", "docs/openapi.yaml must declare openapi: 3.x.y")
        info = self.doc.get("info") or {}
        self.assertTrue(info.get("title") and info.get("version"), "info needs a title and a version")
        self.assertIsInstance(self.doc.get("paths"), dict, "docs/openapi.yaml has no paths")

    def test_every_ref_resolves(self):
        broken = []

        def walk(node, where):
            if isinstance(node, dict):
                ref = node.get("$ref")
                if isinstance(ref, str):
                    target = self.doc
                    for part in ref.lstrip("#/").split("/"):
                        target = target.get(part) if isinstance(target, dict) else None
                    if not ref.startswith("#/") or target is None:
                        broken.append("%s -> %s" % (where, ref))
                for k, v in node.items():
                    walk(v, "%s/%s" % (where, k))
            elif isinstance(node, list):
                for i, v in enumerate(node):
                    walk(v, "%s/%d" % (where, i))

        walk(self.doc, "#")
        self.assertEqual(broken, [], "unresolved $ref in docs/openapi.yaml:\n  " + "\n  ".join(broken))

    def test_every_operation_answers_and_declares_its_path_parameters(self):
        params = self.doc.get("components", {}).get("parameters", {})

        def names(plist):
            out = set()
            for p in plist or []:
                if "$ref" in p:
                    p = params.get(p["$ref"].split("/")[-1], {})
                if p.get("in") == "path":
                    out.add(p.get("name"))
            return out

        problems = []
        for path, item in self.doc["paths"].items():
            wanted = set(re.findall(r"{([^}]+)}", path))
            for method in (m for m in item if m in HTTP_METHODS):
                op = item[method]
                if not op.get("responses"):
                    problems.append("%s %s has no responses" % (method.upper(), path))
                declared = names(item.get("parameters")) | names(op.get("parameters"))
                if declared != wanted:
                    problems.append("%s %s declares path parameters %s, its path has %s" %
                                    (method.upper(), path, sorted(declared), sorted(wanted)))
        self.assertEqual(problems, [], "\n".join(problems))


class RoutesMatchDocsTest(unittest.TestCase):

    def test_route_table_and_openapi_list_the_same_routes(self):
        table = binary_routes()
        self.assertTrue(table, "`bashgah routes` printed no routes")
        documented = spec_routes(load_openapi())
        undocumented = table - documented
        not_served = documented - table
        message = []
        if undocumented:
            message.append("routes in src/http/routes.c missing from docs/openapi.yaml:\n" + describe(undocumented))
        if not_served:
            message.append("routes in docs/openapi.yaml that src/http/routes.c does not serve:\n" +
                           describe(not_served))
        self.assertFalse(message, "\n".join(message))


class CommandHelpTest(unittest.TestCase):

    def test_every_listed_command_answers_help(self):
        p = run_bashgah("--help")
        self.assertEqual(p.returncode, 0, "`bashgah --help` exited %d: %s" % (p.returncode, p.stderr))
        lines = p.stdout.splitlines()
        self.assertIn("commands:", lines, "`bashgah --help` has no commands: section:\n" + p.stdout)
        commands = []
        for line in lines[lines.index("commands:") + 1:]:
            m = re.match(r"^\s+([a-z][a-z0-9-]*)\s+\S", line)
            if m:
                commands.append(m.group(1))
        self.assertIn("routes", commands, "`bashgah --help` does not list routes:\n" + p.stdout)
        failed = []
        for name in commands:
            q = run_bashgah(name, "--help")
            if q.returncode != 0 or not (q.stdout + q.stderr).strip():
                failed.append("bashgah %s --help: exit %d\n%s%s" % (name, q.returncode, q.stdout, q.stderr))
        self.assertEqual(failed, [], "\n".join(failed))


if __name__ == "__main__":
    unittest.main()
