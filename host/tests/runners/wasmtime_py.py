"""Runs the wp-init component under wasmtime-py (PyPI `wasmtime`), the Bytecode Alliance's
Python embedding, and prints the outcome as one JSON object on stdout.

    python wasmtime_py.py COMPONENT.wasm SOURCE TARGET typed [NAME=VALUE...]
    python wasmtime_py.py COMPONENT.wasm SOURCE TARGET run [NAME=VALUE...] -- ARGS...

SOURCE is preopened read-only and TARGET read-write, under their own paths; only the given
variables are passed. `typed` calls the component's `install` export with
`{source, target, dry-run: false, mount-points: []}` and prints
`{"ok": REPORT}` or `{"err": {"case": CASE, "value": ...}}`, with the WIT names in snake case as
in wp-init's JSON. `run` calls `wasi:cli/run` with ARGS and prints
`{"exit_code": N, "stdout": TEXT}`.
"""

import json
import sys
import tempfile

from wasmtime import Engine, ExitTrap, Store, WasiConfig
from wasmtime.component import Component, Linker, Record, Variant


def plain(value):
    """A component value as JSON data: records as objects with snake_case keys."""
    if isinstance(value, Record):
        return {k.replace("-", "_"): plain(v) for k, v in vars(value).items()}
    if isinstance(value, Variant):
        return {"case": value.tag, "value": plain(value.payload)}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def main():
    wasm, source, target, mode, *rest = sys.argv[1:]
    env, args = rest, []
    if "--" in rest:
        split = rest.index("--")
        env, args = rest[:split], rest[split + 1:]

    engine = Engine()
    store = Store(engine)
    wasi = WasiConfig()
    wasi.inherit_stderr()
    wasi.env = [pair.split("=", 1) for pair in env]
    wasi.preopen_dir(source, source, fs_mutable=False)
    wasi.preopen_dir(target, target, fs_mutable=True)
    stdout = tempfile.NamedTemporaryFile()
    if mode == "run":
        wasi.argv = ["wp-init", *args]
        wasi.stdout_file = stdout.name
    store.set_wasi(wasi)

    linker = Linker(engine)
    linker.add_wasip2()
    component = Component.from_file(engine, wasm)
    instance = linker.instantiate(store, component)

    if mode == "typed":
        iface = instance.get_export_index(store, "wp-init:installer/installer@1.0.0")
        install = instance.get_func(store, instance.get_export_index(store, "install", iface))
        options = Record()
        for name, value in [("source", source), ("target", target),
                            ("dry-run", False), ("mount-points", [])]:
            setattr(options, name, value)
        result = install(store, options)
        install.post_return(store)
        key = "ok" if isinstance(result, Record) else "err"
        print(json.dumps({key: plain(result)}))
    elif mode == "run":
        names = [n for n, _ in component.type.exports(engine).items()]
        run_iface = next(n for n in names if n.startswith("wasi:cli/run@0.2"))
        run = instance.get_func(
            store, instance.get_export_index(
                store, "run", instance.get_export_index(store, run_iface)))
        try:
            # `result<_, _>` with no payloads comes back as a tagged Variant.
            result = run(store)
            code = 0 if result.tag == "ok" else 1
        except ExitTrap as trap:
            code = trap.code
        print(json.dumps({"exit_code": code, "stdout": open(stdout.name).read()}))
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
