#!/usr/bin/env python3
"""Turns the shared reference (shared/reference/provider-facts.tsv) into catalog files, once.

This was run once, on 2026-12-03, to widen the built-in catalog from the reference. The TOML files
it wrote under catalog/platforms/ were then reviewed and are the source of truth: fix a platform by
editing its file, never by changing this script and running it again. It never touches a file that
already exists, so running it again only adds files for rows that have none (and re-prints the list
of skipped rows).

    python3 catalog/tools/generate_from_reference.py [--reference PATH] [--dry-run]

Inputs:
- the reference TSV (default: ../shared/reference/provider-facts.tsv beside the repository);
- catalog/tools/docs-urls.tsv: each platform's API documentation link (the reference has none).
  A row whose platform has no link there is skipped: every built-in platform links its docs.

Python 3.11 standard library only. Prints the skipped rows, grouped by reason, as Markdown (the
"Reference rows not yet in the catalog" section of docs/catalog.md).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
PLATFORMS = ROOT / "catalog" / "platforms"
DOCS_URLS = Path(__file__).resolve().parent / "docs-urls.tsv"
DEFAULT_REFERENCE = ROOT.parent / "shared" / "reference" / "provider-facts.tsv"
HEADER = "# Generated from shared/reference/provider-facts.tsv on 2026-12-03, then reviewed.\n"

# The reference's categories onto the catalog's (docs/catalog.md, "Categories"). `popular` and
# `other` are tags, not categories.
CATEGORIES = {
    "accounting": "accounting",
    "analytics": "analytics",
    "ats": "recruiting",
    "banking": "finance",
    "cms": "documents",
    "communication": "communication",
    "crm": "crm",
    "design": "design",
    "dev-tools": "developer-tools",
    "e-commerce": "ecommerce",
    "erp": "accounting",
    "gaming": "media",
    "hr": "hr",
    "iam": "identity",
    "invoicing": "accounting",
    "knowledge-base": "knowledge-base",
    "legal": "documents",
    "marketing": "marketing",
    "mcp": "ai",
    "payment": "payments",
    "productivity": "productivity",
    "search": "developer-tools",
    "social": "social",
    "sports": "media",
    "storage": "file-storage",
    "support": "support",
    "surveys": "forms",
    "ticketing": "project-management",  # with `support` beside it, the row is a help desk
    "video": "video",
}

# Rows the reference files under `other` only, given a category by what the product is.
CATEGORY_OF = {
    "absorb-lms": ["hr"],
    "adobe-umapi": ["identity"],
    "athenahealth": ["healthcare"],
    "availity": ["healthcare"],
    "bitdefender": ["security"],
    "cloudbeds": ["productivity"],
    "connectsecure": ["security"],
    "dentally": ["healthcare"],
    "drchrono": ["healthcare"],
    "entrata": ["productivity"],
    "epc-gov-uk": ["analytics"],
    "epost-klara": ["communication"],
    "exist": ["analytics"],
    "fanvue": ["social"],
    "freepik": ["design"],
    "health-gorilla": ["healthcare"],
    "huntress": ["security"],
    "incident-io": ["monitoring"],
    "jamf": ["infrastructure", "security"],
    "loom-scim": ["identity"],
    "malwarebytes": ["security"],
    "nerdio": ["infrastructure"],
    "onlogist": ["productivity"],
    "optum-real": ["healthcare"],
    "pax8": ["infrastructure", "ecommerce"],
    "practicefusion": ["healthcare"],
    "quipteams": ["hr"],
    "resova": ["calendar"],
    "revivn": ["infrastructure"],
    "roller": ["ecommerce"],
    "scrapedo": ["developer-tools"],
    "spotify-oauth2-cc": ["media"],
    "stedi": ["healthcare"],
    "talentlms": ["hr"],
    "transporeon-carrier-basic": ["productivity"],
    "transporeon-carrier-oauth2-cc": ["productivity"],
    "transporeon-oauth2-cc": ["productivity"],
    "uber": ["productivity"],
    "zorus": ["security"],
}

# Rows that are a platform the catalog already has under another slug (hand-written, same auth).
ALREADY_IN_CATALOG = {
    "active-campaign": "activecampaign",
    "bamboohr-basic": "bamboohr",
    "brevo-api-key": "brevo",
    "front-api-key": "front",
    "google-mail": "gmail",
    "google-sheet": "google-sheets",
    "gorgias-basic": "gorgias",
    "greenhouse-harvest-oauth2-cc": "greenhouse",
    "helpscout-mailbox": "helpscout",
    "loops-so": "loops",
    "okta-api-key": "okta",
    "one-drive": "onedrive",
    "squareup": "square",
    "stripe-api-key": "stripe",
    "twitter-v2": "x",
    "wise-api-key": "wise",
}

# Rows dropped on review, with the reason.
DROPPED = {
    "private-api-basic": "a placeholder for the user's own API, not a platform",
    "private-api-bearer": "a placeholder for the user's own API, not a platform",
    "private-api-generic": "a placeholder for the user's own API, not a platform",
    "telegram": "the bot token goes in the URL path, where request logs would keep it",
    "aws-inspector2": "AWS requests are signed (SigV4), not basic auth",
    "aws-multi-service": "AWS requests are signed (SigV4), not basic auth",
    "cisco-duo-admin": "Duo's Admin API signs each request (HMAC), not basic auth",
}

# Constant header values the provider documents, in place of a per-connection field.
HEADER_VALUES = {
    "anthropic-admin": {"anthropic-version": "2023-06-01"},  # as anthropic.toml
}

KINDS = {"OAUTH2": "oauth2", "OAUTH2_CC": "oauth2_client_credentials", "API_KEY": "api_key", "BASIC": "basic"}

PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
HOST_PATTERN = "[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+"
LABEL_PATTERN = "[A-Za-z0-9][A-Za-z0-9-]*"
HOST_SUFFIX_PATTERN = "[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*"
ID_PATTERN = "[A-Za-z0-9._-]+"
# Fields whose value is a region, an environment or a version: "acme" would be a misleading
# example, and the reference gives none, so they have no example.
NO_EXAMPLE = re.compile(r"region|environment|env$|pod|cluster|center|centre|zone|site|version|edition|build|platform|extension|dc$", re.I)
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
RESERVED_PARAMS = {"response_type", "client_id", "redirect_uri", "state", "scope", "code_challenge"}
# Constant headers left out of injection: the host sets the content type of what it sends.
DROPPED_HEADERS = {"content-type"}


class Skip(Exception):
    """A row that cannot become a catalog file; the message is the reason."""


def toml_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def toml_key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else toml_str(k)


def words(name: str) -> str:
    """`subdomain` -> `Subdomain`, `apiHostname` -> `API hostname`, `base_url` -> `Base URL`."""
    parts = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name).replace("_", " ").split()
    fixed = {"api": "API", "url": "URL", "id": "ID", "uri": "URI", "scim": "SCIM", "sid": "SID"}
    out = [fixed.get(p.lower(), p.lower()) for p in parts]
    if out and out[0] == out[0].lower():
        out[0] = out[0][0].upper() + out[0][1:]
    return " ".join(out)


def base_name(name: str) -> str:
    """`Aimfox (OAuth)` -> `Aimfox`: the product's name in help texts."""
    return re.sub(r"\s*\([^)]*\)\s*$", "", name).strip() or name


def pick_url(value: str) -> str:
    """`A || B`: the reference's fallback form. Take the alternative with no placeholder."""
    if "||" not in value:
        return value.strip()
    options = [v.strip() for v in value.split("||")]
    plain = [v for v in options if "${" not in v]
    if plain:
        return plain[0]
    https = [v for v in options if v.startswith("https://")]
    if len(https) == 1:
        return https[0]  # the other is a full URL from a field, which the catalog cannot take
    raise Skip("a URL is one of several templated hosts")


def check_url(what: str, url: str) -> None:
    if not url:
        raise Skip(f"{what} is missing")
    if not url.startswith("https://"):
        raise Skip(f"{what} is not an absolute https URL (`{url}`)")
    sample = PLACEHOLDER.sub("acme.example", url)
    parts = urlsplit(sample)
    if not parts.hostname or "." not in parts.hostname or parts.fragment:
        raise Skip(f"{what} has no proper host (`{url}`)")
    if " " in url:
        raise Skip(f"{what} is malformed (`{url}`)")
    host_part = url.split("://", 1)[1].split("/", 1)[0]
    if ":" in host_part:
        raise Skip(f"{what} takes its port from a field, which the catalog cannot (`{url}`)")


def config_role(url_templates: list[str], name: str) -> str:
    """How a `connectionConfig` value is used: `label` (one host-name label before a fixed
    domain), `host` (a whole host), `suffix` (the rest of a host after a fixed prefix) or `id`
    (a path segment, header or query value)."""
    var = "${connectionConfig." + name + "}"
    for url in url_templates:
        if var not in url:
            continue
        host = url.split("://", 1)[1].split("/", 1)[0]
        if var not in host:
            continue
        if host == var:
            return "host"
        before, after = host.split(var, 1)
        if after.startswith(".") and "${" not in after:
            return "label"
        if after == "" and before.endswith("."):
            return "suffix"
        return "label" if not after.startswith(".") else "host"
    return "id"


def field_block(name: str, label: str, help_: str, secret: bool = False, pattern: str | None = None,
                example: str | None = None) -> str:
    lines = ["[[form.fields]]", f"name = {toml_str(name)}", f"label = {toml_str(label)}", f"help = {toml_str(help_)}"]
    if secret:
        lines.append("secret = true")
    if pattern is not None:
        lines.append(f"pattern = {toml_str(pattern)}")
    if example is not None:
        lines.append(f"example = {toml_str(example)}")
    return "\n".join(lines) + "\n"


def config_field(name: str, role: str, product: str, url_templates: list[str]) -> str:
    label = words(name)
    var = "${connectionConfig." + name + "}"
    if role == "label":
        url = next(u for u in url_templates if var in u)
        host = url.split("://", 1)[1].split("/", 1)[0]
        if host.startswith(var + ".") and host.count("${") == 1:
            help_ = f"The first part of your {product} address: acme for {host.replace(var, 'acme')}."
        else:
            shown = PLACEHOLDER.sub(lambda m: "<" + words(m.group(1).split(".")[-1]).lower() + ">", host)
            help_ = f"The {label.lower()} in your {product} API host name, {shown}, from your {product} account."
        example = None if NO_EXAMPLE.search(name) else "acme"
        return field_block("connectionConfig." + name, label, help_, pattern=LABEL_PATTERN, example=example)
    if role == "host":
        help_ = (f"The host name of your {product} account or instance, without https:// or a path "
                 f"(e.g. acme.example.com).")
        return field_block("connectionConfig." + name, label, help_, pattern=HOST_PATTERN, example="acme.example.com")
    if role == "suffix":
        url = next(u for u in url_templates if var in u)
        host = url.split("://", 1)[1].split("/", 1)[0]
        prefix = host.split(var, 1)[0]
        help_ = (f"The rest of your {product} API host name after {prefix}, for the region or data centre "
                 f"your account is in (e.g. com).")
        return field_block("connectionConfig." + name, label, help_, pattern=HOST_SUFFIX_PATTERN, example="com")
    help_ = f"Your {product} {label.lower()}, from your {product} account's settings."
    return field_block("connectionConfig." + name, label, help_, pattern=ID_PATTERN)


def credential_label(row: dict) -> str:
    name = row["name"].lower()
    if "personal access token" in name:
        return "Personal access token"
    if "token" in name:
        return "API token"
    return "API key"


def category_list(row: dict) -> list[str]:
    if row["platform"] in CATEGORY_OF:
        return CATEGORY_OF[row["platform"]]
    out: list[str] = []
    for c in row["categories"].split(","):
        c = c.strip()
        if c in ("popular", "other", ""):
            continue
        if c not in CATEGORIES:
            raise Skip(f"unknown category `{c}`")
        mapped = CATEGORIES[c]
        if c == "ticketing":
            if "support" in row["categories"].split(","):
                continue
            out.insert(0, mapped)  # more specific than the `productivity` it comes with
        elif mapped not in out:
            out.append(mapped)
    out = list(dict.fromkeys(out))
    if not out:
        raise Skip("no category beyond `other`")
    return out


def load_json(row: dict, column: str) -> dict:
    text = row[column].strip()
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise Skip(f"{column} is not JSON ({e})") from e
    if not isinstance(value, dict):
        raise Skip(f"{column} is not an object")
    return value


def render(row: dict, docs_url: str) -> str:
    slug = row["platform"].strip().lower().replace("_", "-")
    if not SLUG.match(slug):
        raise Skip(f"`{slug}` cannot be made a slug")
    auth = row["auth"].strip()
    if auth == "OAUTH1":
        raise Skip("OAuth 1.0a, which the catalog has no kind for")
    if auth not in KINDS:
        raise Skip(f"auth kind `{auth}`, which the catalog has no kind for")
    kind = KINDS[auth]
    creds = [c for c in row["credential_fields"].split(",") if c]
    if any(c in ("client_certificate", "client_private_key") for c in creds):
        raise Skip("a client certificate or private key (mutual TLS or a signed assertion), which the catalog cannot hold")
    name = row["name"].strip()
    product = base_name(name)
    categories = category_list(row)

    api_base = pick_url(row["api_base_url"]).rstrip("/")
    check_url("the API base", api_base)
    if "?" in api_base:
        raise Skip("the API base has a query")
    headers = {k.lower(): v for k, v in load_json(row, "auth_headers").items()}
    headers.update(HEADER_VALUES.get(row["platform"], {}))
    query = load_json(row, "auth_query")
    params = load_json(row, "authorization_params")
    verification = load_json(row, "verification")

    oauth_lines: list[str] = []
    scopes = [s.strip() for s in row["default_scopes"].split(",") if s.strip()]
    url_templates = [api_base]
    if kind in ("oauth2", "oauth2_client_credentials"):
        token_url = pick_url(row["token_url"])
        check_url("the token URL", token_url)
        url_templates.append(token_url)
        if kind == "oauth2":
            authorization_url = pick_url(row["authorization_url"])
            check_url("the authorization URL", authorization_url)
            if urlsplit(PLACEHOLDER.sub("x", authorization_url)).path in ("", "/"):
                raise Skip("the authorization URL is a site's front page, not an authorization endpoint")
            url_templates.append(authorization_url)
            oauth_lines.append(f"authorization_url = {toml_str(authorization_url)}")
        oauth_lines.append(f"token_url = {toml_str(token_url)}")
        extra = {}
        for k, v in params.items():
            v = str(v)
            if k in ("response_type", "grant_type"):
                continue  # set by the flow; `grant_type` belongs to the token request anyway
            if k == "scope":
                scopes += [s for s in re.split(r"[ ,]+", v) if s and s not in scopes]
                continue
            if k in RESERVED_PARAMS:
                raise Skip(f"authorization parameter `{k}` is set by the OAuth flow")
            if "${" in v:
                raise Skip(f"authorization parameter `{k}` needs a per-connection value, which parameters cannot hold")
            extra[k] = v
        if ".default" in scopes:
            if urlsplit(api_base).hostname == "graph.microsoft.com":
                scopes = ["https://graph.microsoft.com/.default" if s == ".default" else s for s in scopes]
            else:
                raise Skip("the `.default` scope without the resource it belongs to")
        separator = row["scope_separator"] or " "
        if separator == "+":
            separator = " "  # a `+` in a query string is an encoded space
        if kind == "oauth2":
            oauth_lines.append(f"scopes = [{', '.join(toml_str(s) for s in scopes)}]")
            oauth_lines.append(f"scope_separator = {toml_str(separator)}")
            oauth_lines.append(f"pkce = {'false' if row['pkce'].strip() == 'no' else 'true'}")
        elif scopes:
            oauth_lines.append(f"scopes = [{', '.join(toml_str(s) for s in scopes)}]")
            oauth_lines.append(f"scope_separator = {toml_str(separator)}")
        if extra:
            oauth_lines.append("")
            oauth_lines.append("[auth.authorization_params]")
            oauth_lines += [f"{toml_key(k)} = {toml_str(v)}" for k, v in extra.items()]

    # Injection.
    notes: list[str] = []
    inject_headers = {}
    for k, v in headers.items():
        v = str(v)
        if k in DROPPED_HEADERS:
            continue
        if k == "user-agent":
            notes.append(f"# {product} asks each request to carry a User-Agent naming the calling app and a contact: "
                         "the host sends its own.")
            continue
        if "||" in v:
            # `${connectionConfig.version} || 2025-01-01`: a per-connection override of a default.
            # The catalog pins the default; an operator bumps it with an override file.
            default = v.split("||", 1)[1].strip()
            if "${" in default:
                raise Skip(f"header `{k}` has a fallback the catalog cannot express")
            v = default
        inject_headers[k] = v
    inject_query = {k: str(v) for k, v in query.items()}
    basic = None
    if kind in ("oauth2", "oauth2_client_credentials"):
        if not any("${accessToken}" in v for v in list(inject_headers.values()) + list(inject_query.values())):
            if "authorization" in inject_headers:
                raise Skip("the authorization header does not carry the access token")
            inject_headers = {"authorization": "Bearer ${accessToken}", **inject_headers}
    elif kind == "basic":
        basic = ("${username}", "${password}")
    else:
        values = list(inject_headers.values()) + list(inject_query.values())
        if not any("${apiKey}" in v for v in values):
            raise Skip("the reference does not say where the API key goes")

    # Verification: a cheap GET only (a POST would need a body and might change something).
    verify = None
    if verification and kind != "oauth2":
        method = (verification.get("method") or "GET").upper()
        endpoints = verification.get("endpoints") or []
        if method == "GET" and endpoints and "base_url_override" not in verification:
            path = endpoints[0]
            if path.startswith("/"):
                vheaders = {k.lower(): str(v) for k, v in (verification.get("headers") or {}).items()
                            if k.lower() not in DROPPED_HEADERS and k.lower() != "user-agent"}
                verify = (path, vheaders)

    if kind == "oauth2_client_credentials":
        # The reference's own name for the client ID the form already asks for.
        fix = lambda t: t.replace("${connectionConfig.clientId}", "${clientId}")
        inject_headers = {k: fix(v) for k, v in inject_headers.items()}
        inject_query = {k: fix(v) for k, v in inject_query.items()}
    if kind == "oauth2" and any(re.search(r"connectionConfig\.client_?[iI]d", u) for u in url_templates):
        raise Skip("an OAuth URL needs the OAuth app's client ID in its path, which the catalog cannot fill")

    # Every placeholder must be one the catalog knows.
    all_templates = (url_templates + list(inject_headers.values()) + list(inject_query.values())
                     + ([verify[0]] + list(verify[1].values()) if verify else []))
    config_names: list[str] = []
    for t in all_templates:
        for var in PLACEHOLDER.findall(t):
            if var.startswith("connectionConfig."):
                n = var.split(".", 1)[1]
                if not IDENT.match(n):
                    raise Skip(f"placeholder `${{{var}}}` is not a field name")
                if n not in config_names:
                    config_names.append(n)
            elif var in ("apiKey",) and kind == "api_key":
                continue
            elif var in ("username", "password") and kind == "basic":
                continue
            elif var == "accessToken" and kind in ("oauth2", "oauth2_client_credentials"):
                continue
            elif var in ("clientId", "clientSecret") and kind == "oauth2_client_credentials":
                continue
            else:
                raise Skip(f"placeholder `${{{var}}}` (a signature, a clock or a value the catalog does not know)")
    for k in inject_headers:
        if not re.fullmatch(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+", k):
            raise Skip(f"header name `{k}` is not valid")

    # The form.
    fields: list[str] = []
    if kind == "api_key":
        fields.append(field_block(
            "apiKey", credential_label(row),
            f"Your {product} {credential_label(row).replace('Personal access token', 'personal access token')}, from your "
            f"{product} account's API or developer settings.",
            secret=True))
    elif kind == "basic":
        fields.append(field_block(
            "username", "Username",
            f"The user name {product}'s API accepts for basic authentication (for many accounts an API key or "
            f"account ID), from your {product} account's API or developer settings."))
        fields.append(field_block(
            "password", "Password",
            f"The password or secret that goes with it, from the same {product} settings (leave empty if "
            f"{product} uses none).", secret=True))
    elif kind == "oauth2_client_credentials":
        fields.append(field_block(
            "clientId", "Client ID",
            f"The client ID of an API client (app) created in your {product} account's API or developer settings."))
        fields.append(field_block("clientSecret", "Client secret", "The client secret shown with that client ID.",
                                  secret=True))
    for n in config_names:
        fields.append(config_field(n, config_role(url_templates, n), product, url_templates))

    out = [HEADER] + [n + "\n" for n in notes]
    out.append(f"slug = {toml_str(slug)}")
    out.append(f"name = {toml_str(name)}")
    out.append(f"categories = [{', '.join(toml_str(c) for c in categories)}]")
    out.append(f"docs_url = {toml_str(docs_url)}")
    out.append(f"api_base_url = {toml_str(api_base)}")
    out.append("")
    out.append("[auth]")
    out.append(f"kind = {toml_str(kind)}")
    out += oauth_lines
    if inject_headers:
        out.append("")
        out.append("[inject.headers]")
        out += [f"{toml_key(k)} = {toml_str(v)}" for k, v in inject_headers.items()]
    if inject_query:
        out.append("")
        out.append("[inject.query]")
        out += [f"{toml_key(k)} = {toml_str(v)}" for k, v in inject_query.items()]
    if basic:
        out.append("")
        out.append("[inject.basic]")
        out.append(f"username = {toml_str(basic[0])}")
        out.append(f"password = {toml_str(basic[1])}")
    for f in fields:
        out.append("")
        out.append(f.rstrip("\n"))
    if verify:
        out.append("")
        out.append("[verify]")
        out.append('method = "GET"')
        out.append(f"path = {toml_str(verify[0])}")
        if verify[1]:
            out.append("")
            out.append("[verify.headers]")
            out += [f"{toml_key(k)} = {toml_str(v)}" for k, v in verify[1].items()]
    text = "\n".join(out).replace("\n\n", "\n", len(notes) + 1) + "\n"
    return text


def read_docs_urls() -> dict[str, str]:
    urls = {}
    for line in DOCS_URLS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        slug, url, *_ = line.split("\t")
        urls[slug] = url
    return urls


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE)
    ap.add_argument("--dry-run", action="store_true", help="write nothing, only report")
    args = ap.parse_args()

    docs_urls = read_docs_urls()
    existing = {p.stem for p in PLATFORMS.glob("*.toml")}
    skipped: dict[str, list[str]] = defaultdict(list)
    written = 0
    with args.reference.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    for row in rows:
        slug = row["platform"].strip()
        if slug in existing:
            continue  # hand-written or already generated and reviewed: never touched
        try:
            if slug in ALREADY_IN_CATALOG:
                raise Skip(f"already in the catalog as `{ALREADY_IN_CATALOG[slug]}`")
            if slug in DROPPED:
                raise Skip(DROPPED[slug])
            if slug not in docs_urls:
                raise Skip("no API documentation link known (catalog/tools/docs-urls.tsv)")
            text = render(row, docs_urls[slug])
        except Skip as e:
            reason = str(e)
            # Group by the kind of reason; the quoted URL or name goes with the row.
            detail = re.findall(r"`[^`]*`", reason)
            group = re.sub(r" ?\(`[^`]*`\)$", "", reason)
            group = re.sub(r"`[^`]*`", "`…`", group)
            skipped[group].append(slug + (f" ({', '.join(detail)})" if detail else ""))
            continue
        if not args.dry_run:
            (PLATFORMS / f"{row['platform'].strip().lower().replace('_', '-')}.toml").write_text(text, encoding="utf-8")
        written += 1

    total = sum(len(v) for v in skipped.values())
    print(f"<!-- {written} files written, {total} rows skipped -->")
    for group in sorted(skipped, key=lambda g: (-len(skipped[g]), g)):
        items = skipped[group]
        print(f"- **{group[0].upper() + group[1:]}** ({len(items)}): " + ", ".join(sorted(items)) + ".")
    return 0


if __name__ == "__main__":
    sys.exit(main())
