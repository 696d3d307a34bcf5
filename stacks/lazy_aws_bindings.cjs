"use strict";
/**
 * The Node.js side of the lazy AWS provider bindings (the Python side is stacks/runtime.py).
 *
 * jsii runs the bindings' JavaScript in a Node process, which loads the AWS provider package by requiring its entry
 * module, lib/index.js. That file is 2,212 lines of the form
 *
 *     exports.s3Bucket = require("./s3-bucket");
 *
 * so every resource module is loaded although a program uses a few dozen. This file, preloaded into that Node process
 * with `NODE_OPTIONS=--require <this file>` (stacks/runtime.py adds it), registers a synchronous module load hook
 * (module.registerHooks, Node >= 22.15 / 23.5: https://nodejs.org/api/module.html#moduleregisterhooksoptions; it
 * applies to require() as well as import) that rewrites exactly those lines of that one file into getters:
 * the submodule is required the first time the jsii kernel reads the property (it finds a type by walking the entry
 * module's exports, `closure.s3Bucket.S3Bucket`), and the getter then replaces itself with the plain value. Anything
 * else in the file is left as it is, and the module's exports have the same names, values and enumerability, so the
 * synthesized JSON is byte-identical (tests/test_main.py compares all stacks).
 *
 * It does nothing, and never fails, when:
 *   - WALLET_EAGER_AWS_IMPORT=1 (the one switch for the eager import on both sides, for diagnosis);
 *   - this Node has no module.registerHooks (older than 22.15): the package then loads eagerly, as before;
 *   - the module is not the entry module of a package named in PACKAGES, or has no such line.
 * NODE_DEBUG=wallet prints what it did to stderr (jsii passes the kernel's stderr on).
 */
const fs = require("node:fs");
const path = require("node:path");
const { fileURLToPath } = require("node:url");
const module_ = require("node:module");
const debug = require("node:util").debuglog("wallet");

const PACKAGES = new Set(["@cdktf/provider-aws"]);
const EAGER_ENV = "WALLET_EAGER_AWS_IMPORT";
// One re-export per line, as tsc writes `export * as s3Bucket from './s3-bucket'` for CommonJS.
const REEXPORT = /^exports\.([A-Za-z_$][\w$]*) = require\("(\.\/[\w./-]+)"\);$/gm;

/** The `name` of the package whose entry module (package.json `main`) is this file, or undefined. */
function packageOf(filename) {
  for (let folder = path.dirname(filename); ; folder = path.dirname(folder)) {
    const manifestFile = path.join(folder, "package.json");
    if (fs.existsSync(manifestFile)) {
      const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8"));
      const main = path.resolve(folder, manifest.main || "index.js");
      return main === filename || `${main}.js` === filename ? manifest.name : undefined;
    }
    if (path.dirname(folder) === folder) {
      return undefined;
    }
  }
}

/** The source with each `exports.x = require("./y");` line turned into a self-replacing getter, and how many. */
function lazify(source) {
  let count = 0;
  const rewritten = source.replace(REEXPORT, (_, name, specifier) => {
    count += 1;
    const key = JSON.stringify(name);
    return (
      `Object.defineProperty(exports, ${key}, { enumerable: true, configurable: true, get() { ` +
      `const value = require(${JSON.stringify(specifier)}); ` +
      `Object.defineProperty(exports, ${key}, { value, enumerable: true, writable: true, configurable: true }); ` +
      `return value; } });`
    );
  });
  return { rewritten, count };
}

function load(url, context, nextLoad) {
  const result = nextLoad(url, context);
  if (!url.startsWith("file:") || !url.endsWith("/index.js") || result.source == null) {
    return result;
  }
  try {
    const name = packageOf(fileURLToPath(url));
    if (!PACKAGES.has(name)) {
      return result;
    }
    const { rewritten, count } = lazify(String(result.source));
    debug("lazy %s: %d submodules load on first use", name, count);
    return count === 0 ? result : { ...result, source: rewritten };
  } catch (error) {
    debug("left %s as it is: %s", url, error);
    return result;
  }
}

if (process.env[EAGER_ENV] === "1") {
  debug("eager: %s=1", EAGER_ENV);
} else if (typeof module_.registerHooks !== "function") {
  debug("eager: Node %s has no module.registerHooks", process.version);
} else {
  module_.registerHooks({ load });
}
