//! `cargo xtask docs`: the partner site, built into `target/docs/` from the published
//! artefacts under `spec/` (never from the Rust types, so the site shows exactly what
//! partners download).
//!
//! The site is static and works offline:
//! - `reference.html`: the API reference, rendered by Redocly's `build-docs` (pinned in
//!   `tools/docs/package.json`) with Redoc's script inlined, so no request leaves the page;
//!   each release has its own under `releases/VERSION/reference.html`.
//! - Pages of our own, written as markdown and rendered with `pulldown-cmark`: the home page,
//!   getting started (`docs/site/getting-started.md`), authentication, idempotency and errors
//!   (the spec's own description and its error codes), the webhook event catalogue (each
//!   event's description, schema and example payload from the spec, and the signature
//!   snippets of `docs/site/snippets/`, which `cargo test` executes), the sandbox guide
//!   (`crates/sandbox/README.md`), the changelog (`spec/CHANGELOG.md`) and the downloads.
//! - `latest/` and `releases/VERSION/`: the 3.1 (JSON and YAML), 3.0 and webhook schema files
//!   of the current spec and of every release, as published.
//!
//! Every page names the API version it documents. The output is deterministic: the same
//! inputs give the same bytes (no timestamps).

use std::fmt::Write as _;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd};
use serde_json::Value;

use crate::release::{self, Version};

/// Where the site is built, relative to the workspace root.
pub const OUT_DIR: &str = "target/docs";

/// The site's hand-written sources (markdown, style sheet, snippets).
const SOURCE_DIR: &str = "docs/site";

/// The pinned Node.js tools of the site (Redocly) and of its browser check.
const TOOLS_DIR: &str = "tools/docs";

/// The files of a published version, relative to its directory (`spec/` or a release's).
const SPEC_FILES: [&str; 3] = ["openapi.json", "openapi.yaml", "openapi-3.0.json"];

/// One page of our own: its file name, its title in the navigation and its markdown.
struct Page {
    file: &'static str,
    title: &'static str,
    markdown: String,
}

/// What the site documents: the current spec, and how it relates to the latest release.
struct Subject {
    /// `info.version` of `spec/openapi.json`.
    version: String,
    /// The spec itself.
    spec: Value,
    /// Every release, oldest first.
    releases: Vec<(Version, PathBuf)>,
    /// Whether `spec/openapi.json` is exactly the latest release's (parsed, so formatting
    /// does not matter).
    released: bool,
}

impl Subject {
    /// The line every page carries: which API version it documents.
    fn version_line(&self) -> String {
        if self.released {
            format!("API version {} (released)", self.version)
        } else {
            match self.releases.last() {
                Some((latest, _)) => format!(
                    "API version {} (unreleased; the latest release is {latest})",
                    self.version
                ),
                None => format!("API version {} (not released yet)", self.version),
            }
        }
    }
}

/// `cargo xtask docs`: builds the site into `target/docs/` and prints what it wrote.
pub fn build(root: &Path, out: &mut dyn Write) -> Result<()> {
    let site = root.join(OUT_DIR);
    build_into(root, &site)?;
    writeln!(
        out,
        "built the partner site in {}; open {}",
        site.display(),
        site.join("index.html").display()
    )?;
    Ok(())
}

/// Builds the whole site into `site`, which is emptied first.
///
/// Errors: an unreadable or invalid spec or release, a missing source file, or Redocly
/// failing (its output is included).
pub fn build_into(root: &Path, site: &Path) -> Result<()> {
    let subject = read_subject(root)?;
    if site.exists() {
        fs::remove_dir_all(site).with_context(|| format!("cannot empty {}", site.display()))?;
    }
    fs::create_dir_all(site).with_context(|| format!("cannot create {}", site.display()))?;

    // Downloads first: the pages link to them.
    copy_version_files(&root.join("spec"), &site.join("latest"))?;
    for (version, dir) in &subject.releases {
        copy_version_files(dir, &site.join("releases").join(version.to_string()))?;
    }

    // The references: the current spec, then each release's.
    let redocly = Redocly::prepare(root)?;
    redocly.build(
        &root.join("spec/openapi.json"),
        &site.join("reference.html"),
        "",
        &subject.version_line(),
    )?;
    for (version, dir) in &subject.releases {
        redocly.build(
            &dir.join("openapi.json"),
            &site
                .join("releases")
                .join(version.to_string())
                .join("reference.html"),
            "../../",
            &format!("API version {version} (released)"),
        )?;
    }

    copy_file(
        &root.join(SOURCE_DIR).join("style.css"),
        &site.join("style.css"),
    )?;
    let pages = pages(root, &subject)?;
    for page in &pages {
        let html = layout(page, &pages, &subject);
        fs::write(site.join(page.file), html)
            .with_context(|| format!("cannot write {}", site.join(page.file).display()))?;
    }
    Ok(())
}

fn read_subject(root: &Path) -> Result<Subject> {
    let spec = read_spec(&root.join("spec/openapi.json"))?;
    let version = spec["info"]["version"]
        .as_str()
        .context("spec/openapi.json has no info.version")?
        .to_owned();
    let releases = release::releases(root)?;
    let released = match releases.last() {
        Some((_, dir)) => read_spec(&dir.join("openapi.json"))? == spec,
        None => false,
    };
    Ok(Subject {
        version,
        spec,
        releases,
        released,
    })
}

fn read_spec(path: &Path) -> Result<Value> {
    Ok(balampay_openapi::Document::read(path)?
        .require(&[balampay_openapi::Version::V3_1])?
        .value)
}

/// Copies a version's published files (the three documents and `webhooks/`) into `to`.
fn copy_version_files(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to.join("webhooks"))
        .with_context(|| format!("cannot create {}", to.display()))?;
    for name in SPEC_FILES {
        copy_file(&from.join(name), &to.join(name))?;
    }
    for name in webhook_schema_files(from)? {
        copy_file(
            &from.join("webhooks").join(&name),
            &to.join("webhooks").join(&name),
        )?;
    }
    Ok(())
}

/// The names of a version's webhook schema files, sorted.
fn webhook_schema_files(dir: &Path) -> Result<Vec<String>> {
    let webhooks = dir.join("webhooks");
    let mut names = Vec::new();
    for entry in
        fs::read_dir(&webhooks).with_context(|| format!("cannot list {}", webhooks.display()))?
    {
        let entry = entry.with_context(|| format!("cannot list {}", webhooks.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".schema.json") {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

fn copy_file(from: &Path, to: &Path) -> Result<()> {
    fs::copy(from, to)
        .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    Ok(())
}

fn read_source(path: &Path) -> Result<String> {
    fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Redocly's CLI, installed from `tools/docs/package-lock.json`.
struct Redocly {
    tools: PathBuf,
}

impl Redocly {
    /// Installs the pinned tools with `npm ci` when they are missing or older than the lock
    /// file (as `tools/spec-lint/run.sh` does).
    fn prepare(root: &Path) -> Result<Self> {
        let tools = root.join(TOOLS_DIR);
        let cli = tools.join("node_modules/@redocly/cli/bin/cli.js");
        let installed = tools.join("node_modules/.package-lock.json");
        let stale = match (
            fs::metadata(tools.join("package-lock.json")).and_then(|m| m.modified()),
            fs::metadata(&installed).and_then(|m| m.modified()),
        ) {
            (Ok(lock), Ok(installed)) => lock > installed,
            _ => true,
        };
        if stale || !cli.is_file() {
            let status = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(&tools)
                .status()
                .context("cannot run npm (install Node.js and npm; Debian: apt-get install nodejs npm) to install the pinned tools of tools/docs")?;
            if !status.success() {
                bail!("`npm ci` in {} failed ({status})", tools.display());
            }
        }
        Ok(Self { tools })
    }

    /// Renders `spec` into `output` with our template: Redoc's script inlined, and a bar
    /// that links back to the site (`home` is the relative path to the site's root).
    fn build(&self, spec: &Path, output: &Path, home: &str, version_line: &str) -> Result<()> {
        let title = read_spec(spec)?["info"]["title"]
            .as_str()
            .unwrap_or("BalamPay API")
            .to_owned();
        let result = Command::new("node")
            .arg(self.tools.join("node_modules/@redocly/cli/bin/cli.js"))
            .arg("build-docs")
            .arg(spec)
            .arg("--output")
            .arg(output)
            .arg("--inlineBundle")
            // The version in the tab's title, so that references of two releases differ.
            .arg("--title")
            .arg(format!("{title} reference · {version_line}"))
            .arg("--template")
            .arg(self.tools.join("reference.hbs"))
            .arg(format!("--templateOptions.home={home}"))
            .arg(format!("--templateOptions.versionLine={version_line}"))
            // Telemetry off (see tools/docs/redocly.yaml): it also decides whether the page
            // reports its views to Redocly.
            .arg("--config")
            .arg(self.tools.join("redocly.yaml"))
            .env("REDOCLY_TELEMETRY", "off")
            .arg("--lint-config=off")
            .current_dir(&self.tools)
            .output()
            .context("cannot run node (install Node.js) for Redocly's build-docs")?;
        if !result.status.success() || !output.is_file() {
            bail!(
                "Redocly build-docs failed on {} ({}):\n{}{}",
                spec.display(),
                result.status,
                String::from_utf8_lossy(&result.stdout),
                String::from_utf8_lossy(&result.stderr)
            );
        }
        let html = read_source(output)?;
        fs::write(output, offline_logo(&html)?)
            .with_context(|| format!("cannot write {}", output.display()))
    }
}

/// Redoc 3 always shows a "API docs by Redocly" logo loaded from Redocly's CDN, which would
/// make the reference ask the network for it. Its two addresses are replaced by an image of
/// our own inside the page.
///
/// Errors: when the page still names Redocly's CDN afterwards (a new Redoc version that
/// needs another replacement; the browser check would also report the request).
fn offline_logo(html: &str) -> Result<String> {
    const LOGO: &str = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='60' height='14'%3E%3Ctext x='0' y='11' font-family='sans-serif' font-size='11' fill='%23666'%3ERedoc%3C/text%3E%3C/svg%3E";
    let replaced = html
        .replace("https://cdn.redoc.ly/redoc/logo-mini-full.svg", LOGO)
        .replace("https://cdn.redoc.ly/redoc/logo-mini.svg", LOGO);
    if replaced.contains("cdn.redoc.ly") {
        bail!(
            "the reference still loads an image from cdn.redoc.ly after the logo was replaced: Redoc changed; update `offline_logo` in xtask/src/docs.rs"
        );
    }
    Ok(replaced)
}

/// Every page of our own, in navigation order. The reference is Redocly's and sits between
/// the sandbox guide and the changelog in the navigation (see [`layout`]).
fn pages(root: &Path, subject: &Subject) -> Result<Vec<Page>> {
    let source = root.join(SOURCE_DIR);
    Ok(vec![
        Page {
            file: "index.html",
            title: "Home",
            markdown: home_page(subject),
        },
        Page {
            file: "getting-started.html",
            title: "Getting started",
            markdown: read_source(&source.join("getting-started.md"))?,
        },
        Page {
            file: "authentication.html",
            title: "Authentication, idempotency and errors",
            markdown: authentication_page(subject)?,
        },
        Page {
            file: "webhooks.html",
            title: "Webhook events",
            markdown: webhooks_page(root, subject)?,
        },
        Page {
            file: "versioning.html",
            title: "Versioning and breaking changes",
            markdown: versioning_page(subject)?,
        },
        Page {
            file: "sandbox.html",
            title: "Sandbox guide",
            markdown: retitled(
                "Sandbox guide",
                &read_source(&root.join("crates/sandbox/README.md"))?,
            ),
        },
        Page {
            file: "changelog.html",
            title: "Changelog",
            markdown: retitled("Changelog", &read_source(&root.join(release::CHANGELOG))?),
        },
        Page {
            file: "downloads.html",
            title: "Downloads",
            markdown: downloads_page(root, subject)?,
        },
    ])
}

/// A source document with its first-level title replaced by ours.
fn retitled(title: &str, markdown: &str) -> String {
    let body = match markdown.strip_prefix("# ") {
        Some(rest) => rest.split_once('\n').map_or("", |(_, body)| body),
        None => markdown,
    };
    format!("# {title}\n{body}")
}

/// The sections of the spec's `info.description`, by their `## ` heading.
fn description_sections(spec: &Value) -> Result<(String, Vec<(String, String)>)> {
    let description = spec["info"]["description"]
        .as_str()
        .context("spec/openapi.json has no info.description")?;
    let mut parts = description.split("\n## ");
    let intro = parts.next().unwrap_or_default().trim().to_owned();
    let sections = parts
        .map(|part| {
            let (heading, body) = part.split_once('\n').unwrap_or((part, ""));
            (heading.trim().to_owned(), body.trim().to_owned())
        })
        .collect();
    Ok((intro, sections))
}

fn section<'s>(sections: &'s [(String, String)], heading: &str) -> Result<&'s str> {
    sections
        .iter()
        .find(|(h, _)| h == heading)
        .map(|(_, body)| body.as_str())
        .with_context(|| {
            format!("spec/openapi.json's info.description has no `## {heading}` section")
        })
}

fn home_page(subject: &Subject) -> String {
    let title = subject.spec["info"]["title"]
        .as_str()
        .unwrap_or("BalamPay API");
    let intro = description_sections(&subject.spec)
        .map(|(intro, _)| intro)
        .unwrap_or_default();
    let mut md = format!("# {title}\n\n{intro}\n\n");
    md.push_str(
        "| page | what it holds |\n|---|---|\n\
         | [Getting started](getting-started.html) | The quick example against the sandbox: create a user, verify them, receive the webhooks. |\n\
         | [Authentication, idempotency and errors](authentication.html) | The two credentials, idempotency keys, rate limits, the error body and every error code. |\n\
         | [API reference](reference.html) | Every operation, schema and example. |\n\
         | [Webhook events](webhooks.html) | Every event: when it is sent, its schema, an example payload; verifying signatures in the shell, Node.js and Python. |\n\
         | [Versioning and breaking changes](versioning.html) | What a minor version may change, what your code must tolerate, and how every kind of change is classified. |\n\
         | [Sandbox guide](sandbox.html) | The local sandbox: test inputs that force each outcome, the hosted page, the control API. |\n\
         | [Changelog](changelog.html) | What changed in each release. |\n\
         | [Downloads](downloads.html) | The OpenAPI 3.1 and 3.0 documents and webhook schemas of every release. |\n",
    );
    let _ = write!(
        md,
        "\nThis site documents {}. It is built by `cargo xtask docs` from the published files and needs no network.\n",
        subject.version_line()
    );
    md
}

/// The versioning promise (the spec description's `## Versioning`) and the breaking-change
/// policy table, one row per rule of `balampay-specdiff`, so the page cannot drift from the
/// gate that applies it.
fn versioning_page(subject: &Subject) -> Result<String> {
    let (_, sections) = description_sections(&subject.spec)?;
    let mut md = String::from("# Versioning and breaking changes\n\n");
    md.push_str(section(&sections, "Versioning")?);
    md.push_str(
        "\n\n## How changes are classified\n\n\
         `balampay-contract diff OLD NEW` compares two versions of the spec (OpenAPI 3.1 or 3.0) and \
         classifies every change from the point of view of a client built against the old one; \
         `cargo xtask check` refuses a release whose breaking changes lack a new major version.\n\n\
         - **breaking**: a request the old version accepted may be refused (a constraint added or \
         tightened), or a response or webhook payload may hold what the old version did not allow \
         (a constraint removed or loosened). A change that is neither narrower nor wider counts \
         both ways.\n\
         - **possibly-breaking**: every message stays valid, but some clients may be hurt: the \
         additions the API promises (above), names in generated code (`operationId`, component \
         names, path parameter names), and behaviour the schema does not capture (a `default` \
         changed, a parameter or an optional response field gone).\n\
         - **compatible**: anything else.\n\n\
         `readOnly` properties exist only in responses and `writeOnly` ones only in requests; \
         parameter and header values are text, so `string` holds every number and boolean. \
         A `$ref` and an identical inline schema are the same schema; `allOf` parts and \
         `oneOf`/`anyOf` branches are matched by discriminator value and content, not by \
         position. Removing something `deprecated` on or after its `x-sunset` date (`YYYY-MM-DD`) is \
         a planned removal, possibly-breaking by default (`--planned-removal` sets the class, \
         `--today` the date); the release gate judges no sunset as passed. Documents are read \
         whole: `$ref`s must point inside the document (`#/…`); bundle a multi-file spec first.\n\n\
         | rule | what it detects | in a request | in a response or webhook payload |\n|---|---|---|---|\n",
    );
    for rule in balampay_specdiff::Rule::ALL {
        let (request, response) = rule.policy();
        let cell = |class: &str| {
            if class.is_empty() {
                "–".to_owned()
            } else {
                table_cell(class)
            }
        };
        let _ = writeln!(
            md,
            "| `{}` | {} | {} | {} |",
            rule.name(),
            table_cell(rule.description()),
            cell(request),
            cell(response)
        );
    }
    Ok(md)
}

fn authentication_page(subject: &Subject) -> Result<String> {
    let (_, sections) = description_sections(&subject.spec)?;
    let mut md = String::from("# Authentication, idempotency and errors\n\n");
    for heading in [
        "Authentication",
        "Idempotency",
        "Rate limits",
        "Errors",
        "Conventions",
    ] {
        let _ = write!(md, "## {heading}\n\n{}\n\n", section(&sections, heading)?);
    }
    md.push_str("## Error codes\n\nEvery error body's `code` is one of these; each belongs to one HTTP status.\n\n| code | status | meaning |\n|---|---|---|\n");
    for (code, status, meaning) in error_codes(&subject.spec)? {
        let _ = writeln!(md, "| `{code}` | {status} | {} |", table_cell(&meaning));
    }
    md.push_str("\nEach problem with one field is an `ErrorDetail` of `details`, with one of these codes:\n\n| field code | meaning |\n|---|---|\n");
    for (code, meaning) in field_error_codes(&subject.spec)? {
        let _ = writeln!(md, "| `{code}` | {} |", table_cell(&meaning));
    }
    Ok(md)
}

/// The spec's error codes with the status and meaning the schema crate documents for each.
/// The spec lists the codes; their statuses and meanings come from the Rust doc comments
/// through schemars, which keeps one description per enum variant.
fn error_codes(spec: &Value) -> Result<Vec<(String, String, String)>> {
    let codes = enum_values(spec, "ErrorCode")?;
    let described = variant_descriptions::<balampay_schema::errors::ErrorCode>();
    codes
        .into_iter()
        .map(|code| {
            let text = described
                .iter()
                .find(|(value, _)| *value == code)
                .map(|(_, text)| text.clone())
                .with_context(|| format!("error code {code} has no description in crates/schema/src/errors.rs"))?;
            // Each description starts with its status: "409: the idempotency key ...".
            let (status, meaning) = text
                .split_once(": ")
                .filter(|(status, _)| status.len() == 3 && status.bytes().all(|b| b.is_ascii_digit()))
                .with_context(|| format!("the description of error code {code} does not start with its status (`409: ...`)"))?;
            Ok((code, status.to_owned(), capitalised(meaning)))
        })
        .collect()
}

fn field_error_codes(spec: &Value) -> Result<Vec<(String, String)>> {
    let described = variant_descriptions::<balampay_schema::errors::FieldErrorCode>();
    enum_values(spec, "FieldErrorCode")?
        .into_iter()
        .map(|code| {
            let meaning = described
                .iter()
                .find(|(value, _)| *value == code)
                .map(|(_, text)| text.clone())
                .with_context(|| {
                    format!(
                        "field error code {code} has no description in crates/schema/src/errors.rs"
                    )
                })?;
            Ok((code, meaning))
        })
        .collect()
}

fn enum_values(spec: &Value, component: &str) -> Result<Vec<String>> {
    spec["components"]["schemas"][component]["enum"]
        .as_array()
        .with_context(|| {
            format!("spec/openapi.json has no enum at /components/schemas/{component}")
        })?
        .iter()
        .map(|v| {
            v.as_str()
                .map(str::to_owned)
                .with_context(|| format!("/components/schemas/{component}/enum holds a non-string"))
        })
        .collect()
}

/// The `const` value and description of each variant of a unit-only enum, as schemars
/// describes it (`oneOf` of `{"const": ..., "description": ...}`).
fn variant_descriptions<T: schemars::JsonSchema>() -> Vec<(String, String)> {
    let schema = balampay_schema::spec::schema_generator().into_root_schema_for::<T>();
    let value = serde_json::to_value(schema).unwrap_or_default();
    value["oneOf"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|branch| {
            let value = branch["const"]
                .as_str()
                .or_else(|| branch["enum"][0].as_str())?;
            let text = branch["description"].as_str()?;
            Some((
                value.to_owned(),
                text.split_whitespace().collect::<Vec<_>>().join(" "),
            ))
        })
        .collect()
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Text made safe for one cell of a markdown table.
fn table_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

fn webhooks_page(root: &Path, subject: &Subject) -> Result<String> {
    let (_, sections) = description_sections(&subject.spec)?;
    let webhooks = subject.spec["webhooks"]
        .as_object()
        .context("spec/openapi.json has no webhooks")?;
    let mut md = String::from("# Webhook events\n\n");
    let _ = write!(md, "{}\n\n", section(&sections, "Webhooks")?);
    md.push_str("| event | sent when | schema |\n|---|---|---|\n");
    for (event, item) in webhooks {
        let summary = item["post"]["summary"].as_str().unwrap_or_default();
        let _ = writeln!(
            md,
            "| [`{event}`](#{}) | {} | [{event}.schema.json](latest/webhooks/{event}.schema.json) |",
            slug(event),
            table_cell(summary)
        );
    }
    md.push('\n');
    for (event, item) in webhooks {
        let post = &item["post"];
        let media = &post["requestBody"]["content"]["application/json"];
        let _ = write!(
            md,
            "## {event}\n\n**{}.** {}\n\n",
            post["summary"].as_str().unwrap_or_default(),
            post["description"].as_str().unwrap_or_default()
        );
        let examples = media["examples"]
            .as_object()
            .with_context(|| format!("webhook {event} has no examples in spec/openapi.json"))?;
        for example in examples.values() {
            let _ = write!(
                md,
                "Example payload ({}):\n\n```json\n{}\n```\n\n",
                example["summary"].as_str().unwrap_or("example"),
                pretty(&example["value"])
            );
        }
        let schema_file = root
            .join("spec/webhooks")
            .join(format!("{event}.schema.json"));
        let schema: Value = serde_json::from_str(&read_source(&schema_file)?)
            .with_context(|| format!("{} is not JSON", schema_file.display()))?;
        let _ = write!(
            md,
            "<details>\n<summary>JSON Schema of <code>{event}</code> (draft 2020-12; <a href=\"latest/webhooks/{event}.schema.json\">download</a>)</summary>\n\n```json\n{}\n```\n\n</details>\n\n",
            pretty(&schema)
        );
    }
    let snippets = root.join(SOURCE_DIR).join("snippets");
    md.push_str(
        "## Verifying signatures\n\n\
         Check the signature on the raw body, byte for byte as it arrived, before parsing it: \
         re-encoded JSON does not have the same bytes. Reject deliveries whose \
         `webhook-timestamp` is more than five minutes away from your clock (replays), and \
         compare signatures in constant time. `webhook-signature` may hold several \
         space-separated signatures (during a secret rotation): accept the delivery when any \
         one matches. Each program below is tested against the signer of the BalamPay sandbox \
         by `cargo test`.\n\n",
    );
    for (title, file, language) in [
        ("Shell (openssl)", "verify-webhook.sh", "bash"),
        ("Node.js", "verify-webhook.mjs", "js"),
        ("Python", "verify_webhook.py", "python"),
    ] {
        let code = read_source(&snippets.join(file))?;
        let _ = write!(
            md,
            "### {title}\n\n`{file}`:\n\n```{language}\n{}\n```\n\n",
            code.trim_end()
        );
    }
    let send = read_source(&snippets.join("send-test-webhook.sh"))?;
    let _ = write!(
        md,
        "### Sending yourself a signed delivery (curl and openssl)\n\nTo test your endpoint without the sandbox, sign a payload the same way and `POST` it with curl:\n\n```bash\n{}\n```\n",
        send.trim_end()
    );
    Ok(md)
}

fn downloads_page(root: &Path, subject: &Subject) -> Result<String> {
    let mut md = String::from(
        "# Downloads\n\nEvery released version of the contract, as published: the OpenAPI 3.1 document (JSON and YAML), its OpenAPI 3.0.3 down-conversion for tools that read only 3.0, and one JSON Schema (draft 2020-12) per webhook event.\n\n\
         | version | reference | OpenAPI 3.1 | OpenAPI 3.0 | webhook schemas |\n|---|---|---|---|---|\n",
    );
    let row = |label: &str, dir: &str, files: &[String]| {
        let schemas = files
            .iter()
            .map(|f| {
                format!(
                    "[{}]({dir}/webhooks/{f})",
                    f.trim_end_matches(".schema.json")
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let reference = if dir == "latest" {
            "reference.html".to_owned()
        } else {
            format!("{dir}/reference.html")
        };
        format!(
            "| {label} | [reference]({reference}) | [JSON]({dir}/openapi.json), [YAML]({dir}/openapi.yaml) | [JSON]({dir}/openapi-3.0.json) | {schemas} |\n"
        )
    };
    if !subject.released {
        md.push_str(&row(
            &format!("{} (unreleased)", subject.version),
            "latest",
            &webhook_schema_files(&root.join("spec"))?,
        ));
    }
    for (version, dir) in subject.releases.iter().rev() {
        md.push_str(&row(
            &version.to_string(),
            &format!("releases/{version}"),
            &webhook_schema_files(dir)?,
        ));
    }
    md.push_str("\nWhat changed between versions is in the [changelog](changelog.html).\n");
    Ok(md)
}

/// The navigation: our pages, with the reference after the sandbox guide.
fn navigation(pages: &[Page], current: &str) -> String {
    let mut items: Vec<(&str, &str)> = pages.iter().map(|p| (p.file, p.title)).collect();
    let at = items
        .iter()
        .position(|(file, _)| *file == "changelog.html")
        .unwrap_or(items.len());
    items.insert(at, ("reference.html", "API reference"));
    let mut html = String::from("<nav aria-label=\"Site\"><ul>");
    for (file, title) in items {
        let current = if file == current {
            " aria-current=\"page\""
        } else {
            ""
        };
        let _ = write!(
            html,
            "<li><a href=\"{file}\"{current}>{}</a></li>",
            escape(title)
        );
    }
    html.push_str("</ul></nav>");
    html
}

fn layout(page: &Page, pages: &[Page], subject: &Subject) -> String {
    let title = subject.spec["info"]["title"]
        .as_str()
        .unwrap_or("BalamPay API");
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{page_title} · {title} {version}</title>\n<link rel=\"stylesheet\" href=\"style.css\">\n</head>\n<body>\n<header>\n<a class=\"brand\" href=\"index.html\">{title}</a>\n<p class=\"version\">{version_line}</p>\n{nav}\n</header>\n<main>\n{content}</main>\n<footer>\n<p>{version_line}. Built by <code>cargo xtask docs</code> from the published files under <code>spec/</code>.</p>\n</footer>\n</body>\n</html>\n",
        page_title = escape(page.title),
        title = escape(title),
        version = escape(&subject.version),
        version_line = escape(&subject.version_line()),
        nav = navigation(pages, page.file),
        content = render_markdown(&page.markdown),
    )
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // Writing into a String cannot fail.
    let _ = pulldown_cmark_escape::escape_html(&mut out, text);
    out
}

/// A heading's anchor: lower-case letters and digits, other runs of characters as one `-`.
fn slug(text: &str) -> String {
    let mut slug = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

/// Markdown (CommonMark with tables) to HTML, every heading given an `id` from its text so
/// that sections can be linked (`webhooks.html#user-created`); repeated ids get `-2`, `-3`.
fn render_markdown(markdown: &str) -> String {
    let events: Vec<Event<'_>> = Parser::new_ext(markdown, Options::ENABLE_TABLES).collect();
    let mut used: Vec<String> = Vec::new();
    let mut out: Vec<Event<'_>> = Vec::with_capacity(events.len());
    for (index, event) in events.iter().enumerate() {
        match event {
            Event::Start(Tag::Heading {
                level,
                id: None,
                classes,
                attrs,
            }) => {
                let mut text = String::new();
                for inner in &events[index + 1..] {
                    match inner {
                        Event::End(TagEnd::Heading(_)) => break,
                        Event::Text(t) | Event::Code(t) => text.push_str(t),
                        _ => {}
                    }
                }
                let base = slug(&text);
                let mut id = base.clone();
                let mut n = 1;
                while used.contains(&id) {
                    n += 1;
                    id = format!("{base}-{n}");
                }
                used.push(id.clone());
                out.push(Event::Start(Tag::Heading {
                    level: *level,
                    id: Some(CowStr::from(id)),
                    classes: classes.clone(),
                    attrs: attrs.clone(),
                }));
            }
            other => out.push(other.clone()),
        }
    }
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, out.into_iter());
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_get_unique_ids_from_their_text() {
        let html = render_markdown("# Webhook events\n\n## user.created\n\n## `user.created`\n");
        assert!(html.contains("<h1 id=\"webhook-events\">"), "{html}");
        assert!(html.contains("<h2 id=\"user-created\">"), "{html}");
        assert!(html.contains("<h2 id=\"user-created-2\">"), "{html}");
    }

    #[test]
    fn titles_of_sources_are_replaced() {
        assert_eq!(
            retitled("Sandbox guide", "# x\n\nbody\n"),
            "# Sandbox guide\n\nbody\n"
        );
        assert_eq!(
            retitled("Changelog", "no title\n"),
            "# Changelog\nno title\n"
        );
    }

    /// Our pages, as `cargo xtask docs` renders them from the checked-in files: every page
    /// names the version, the catalogue has every event with its example, schema and the
    /// snippets, the error codes are all listed, and every release is downloadable.
    #[test]
    fn the_pages_cover_every_event_error_code_and_release() {
        let root = crate::workspace_root().expect("root");
        let subject = read_subject(&root).expect("the spec and releases read");
        let pages = pages(&root, &subject).expect("pages");
        let html: Vec<(&str, String)> = pages
            .iter()
            .map(|page| (page.file, layout(page, &pages, &subject)))
            .collect();
        let page = |file: &str| {
            &html
                .iter()
                .find(|(f, _)| *f == file)
                .unwrap_or_else(|| panic!("no page {file}"))
                .1
        };
        for (file, text) in &html {
            assert!(
                text.contains(&format!("API version {}", subject.version)),
                "{file} does not name the API version"
            );
            assert!(text.ends_with("</html>\n"), "{file}");
        }
        let webhooks = page("webhooks.html");
        for event in subject.spec["webhooks"]
            .as_object()
            .expect("webhooks")
            .keys()
        {
            assert!(
                webhooks.contains(&format!("<h2 id=\"{}\">{event}</h2>", slug(event))),
                "no section for {event}"
            );
            assert!(
                webhooks.contains(&format!("latest/webhooks/{event}.schema.json")),
                "no schema download for {event}"
            );
        }
        assert!(
            webhooks.contains("\"event_id\": \"95fbd1c9-46cf-405c-bf38-a28344ff4707\""),
            "no example payload"
        );
        for snippet in [
            "verify-webhook.sh",
            "verify-webhook.mjs",
            "verify_webhook.py",
            "send-test-webhook.sh",
        ] {
            let code = fs::read_to_string(root.join(SOURCE_DIR).join("snippets").join(snippet))
                .expect("snippet");
            // A line that HTML escaping leaves alone, so it appears as written.
            let line = code
                .lines()
                .find(|l| l.len() > 30 && !l.contains(['"', '\'', '<', '>', '&']))
                .expect("a plain line");
            assert!(
                webhooks.contains(line),
                "{snippet} is not shown on the webhook page"
            );
        }
        let authentication = page("authentication.html");
        for code in enum_values(&subject.spec, "ErrorCode").expect("codes") {
            assert!(
                authentication.contains(&format!("<code>{code}</code>")),
                "{code}"
            );
        }
        let versioning = page("versioning.html");
        for rule in balampay_specdiff::Rule::ALL {
            assert!(
                versioning.contains(&format!("<code>{}</code>", rule.name())),
                "the policy table has no row for {}",
                rule.name()
            );
        }
        assert!(versioning.contains("new webhook event types"), "no promise");
        let downloads = page("downloads.html");
        for (version, _) in &subject.releases {
            assert!(
                downloads.contains(&format!("releases/{version}/openapi-3.0.json")),
                "release {version} is not downloadable"
            );
        }
    }

    #[test]
    fn every_error_code_of_the_spec_has_a_status_and_a_meaning() {
        let spec = balampay_schema::spec::openapi_document();
        let codes = error_codes(&spec).expect("error codes");
        assert_eq!(
            codes.len(),
            enum_values(&spec, "ErrorCode").expect("enum").len()
        );
        let missing = codes
            .iter()
            .find(|(code, _, _)| code == "idempotency_key_missing");
        assert_eq!(
            missing.map(|(_, status, meaning)| (status.as_str(), meaning.as_str())),
            Some(("400", "A POST came without an `idempotency-key` header."))
        );
        assert!(!field_error_codes(&spec).expect("field codes").is_empty());
    }
}
