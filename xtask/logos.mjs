// `cargo xtask logos`: writes public/logos/<slug>.svg for every platform in catalog/platforms.
//
// A platform listed in SIMPLE_ICONS gets that brand's mark from the pinned npm `simple-icons`
// package (CC0), its path filled with the brand's own colour; every other platform gets a
// generated monogram. Logos are vendored files served by Portico itself: the modal never loads
// an image from a third-party host.
//
// The table is explicit on purpose: matching names automatically would sooner or later give a
// platform another brand's icon. Local platforms (the mock provider) keep their hand-made logo.
//
// Usage: node xtask/logos.mjs <catalog/platforms> <public/logos>

import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as simpleIcons from 'simple-icons';

/** Portico platform slug → simple-icons slug, for brands the package has. */
const SIMPLE_ICONS = {
  '1password-events': '1password',
  '1password-scim': '1password',
  adyen: 'adyen',
  aircall: 'aircall',
  'aircall-basic': 'aircall',
  airtable: 'airtable',
  'airtable-pat': 'airtable',
  algolia: 'algolia',
  anthropic: 'anthropic',
  'anthropic-admin': 'anthropic',
  asana: 'asana',
  'asana-scim': 'asana',
  atlassian: 'atlassian',
  'atlassian-admin': 'atlassian',
  'atlassian-government-cloud': 'atlassian',
  auth0: 'auth0',
  'auth0-cc': 'auth0',
  autodesk: 'autodesk',
  basecamp: 'basecamp',
  battlenet: 'battledotnet',
  bitbucket: 'bitbucket',
  bitly: 'bitly',
  'booking-com': 'bookingdotcom',
  box: 'box',
  braintree: 'braintree',
  'braintree-sandbox': 'braintree',
  brevo: 'brevo',
  brex: 'brex',
  'brex-api-key': 'brex',
  'brex-staging': 'brex',
  'cal-com-oauth': 'caldotcom',
  'cal-com-v1': 'caldotcom',
  'cal-com-v2': 'caldotcom',
  calendly: 'calendly',
  clerk: 'clerk',
  clickhouse: 'clickhouse',
  clickup: 'clickup',
  cloudflare: 'cloudflare',
  coda: 'coda',
  codeclimate: 'codeclimate',
  confluence: 'confluence',
  'confluence-basic': 'confluence',
  'confluence-data-center': 'confluence',
  contentful: 'contentful',
  crunchbase: 'crunchbase',
  cursor: 'cursor',
  'databricks-account': 'databricks',
  'databricks-workspace': 'databricks',
  datadog: 'datadog',
  'datadog-oauth': 'datadog',
  datev: 'datev',
  digitalocean: 'digitalocean',
  discord: 'discord',
  discourse: 'discourse',
  dropbox: 'dropbox',
  'dropbox-sign': 'dropbox',
  dynatrace: 'dynatrace',
  'dynatrace-oauth': 'dynatrace',
  ebay: 'ebay',
  'ebay-sandbox': 'ebay',
  egnyte: 'egnyte',
  elevenlabs: 'elevenlabs',
  'epic-games': 'epicgames',
  expensify: 'expensify',
  facebook: 'facebook',
  'facebook-system-user': 'facebook',
  figma: 'figma',
  'figma-scim': 'figma',
  fitbit: 'fitbit',
  freepik: 'freepik',
  gerrit: 'gerrit',
  'ghost-content': 'ghost',
  github: 'github',
  'github-pat': 'github',
  gitlab: 'gitlab',
  'gitlab-pat': 'gitlab',
  gmail: 'gmail',
  google: 'google',
  'google-ads': 'googleads',
  'google-analytics': 'googleanalytics',
  'google-bigquery': 'googlebigquery',
  'google-calendar': 'googlecalendar',
  'google-chat': 'googlechat',
  'google-cloud-storage': 'googlecloudstorage',
  'google-contacts': 'google',
  'google-docs': 'googledocs',
  'google-drive': 'googledrive',
  'google-forms': 'googleforms',
  'google-gemini': 'googlegemini',
  'google-maps': 'googlemaps',
  'google-meet': 'googlemeet',
  'google-play': 'googleplay',
  'google-search-console': 'googlesearchconsole',
  'google-sheets': 'googlesheets',
  'google-slides': 'googleslides',
  'google-tasks': 'googletasks',
  'google-workspace-admin': 'google',
  grafana: 'grafana',
  grammarly: 'grammarly',
  'grammarly-scim': 'grammarly',
  greenhouse: 'greenhouse',
  'greenhouse-assessment': 'greenhouse',
  'greenhouse-basic': 'greenhouse',
  'greenhouse-harvest': 'greenhouse',
  'greenhouse-harvest-partner': 'greenhouse',
  'greenhouse-ingestion': 'greenhouse',
  'greenhouse-job-board': 'greenhouse',
  'greenhouse-onboarding': 'greenhouse',
  gumroad: 'gumroad',
  gusto: 'gusto',
  'gusto-demo': 'gusto',
  'hackerrank-work': 'hackerrank',
  helpscout: 'helpscout',
  'helpscout-docs': 'helpscout',
  'hibob-oauth': 'hibob',
  'hibob-service-user': 'hibob',
  hubspot: 'hubspot',
  instagram: 'instagram',
  intercom: 'intercom',
  intuit: 'intuit',
  jira: 'jira',
  'jira-basic': 'jira',
  'jira-data-center': 'jira',
  'keeper-scim': 'keeper',
  lastpass: 'lastpass',
  linear: 'linear',
  listmonk: 'listmonk',
  'looker-oauth': 'looker',
  loops: 'loops',
  'lucid-scim': 'lucid',
  mailchimp: 'mailchimp',
  mailgun: 'mailgun',
  make: 'make',
  malwarebytes: 'malwarebytes',
  mattermost: 'mattermost',
  'meta-marketing-api': 'meta',
  miro: 'miro',
  'miro-scim': 'miro',
  mixpanel: 'mixpanel',
  mural: 'mural',
  neon: 'neon',
  'next-cloud-ocs': 'nextcloud',
  notion: 'notion',
  'notion-scim': 'notion',
  odoo: 'odoo',
  okta: 'okta',
  'okta-preview': 'okta',
  ory: 'ory',
  osu: 'osu',
  paddle: 'paddle',
  pagerduty: 'pagerduty',
  paychex: 'paychex',
  paypal: 'paypal',
  'paypal-sandbox': 'paypal',
  perplexity: 'perplexity',
  personio: 'personio',
  'personio-recruiting': 'personio',
  'personio-v2': 'personio',
  pinterest: 'pinterest',
  pivotaltracker: 'pivotaltracker',
  posthog: 'posthog',
  'posthog-oauth': 'posthog',
  qualtrics: 'qualtrics',
  quickbooks: 'quickbooks',
  'quickbooks-sandbox': 'quickbooks',
  razorpay: 'razorpay',
  reddit: 'reddit',
  replicate: 'replicate',
  resend: 'resend',
  'revolut-business': 'revolut',
  sage: 'sage',
  'sage-hr': 'sage',
  'sage-intacct-oauth': 'sage',
  'sage-people': 'sage',
  'sap-concur': 'sap',
  semrush: 'semrush',
  sentry: 'sentry',
  shopify: 'shopify',
  'shopify-api-key': 'shopify',
  'shopify-cc': 'shopify',
  'shopify-partner': 'shopify',
  'shopify-scim': 'shopify',
  shopware: 'shopware',
  shortcut: 'shortcut',
  snapchat: 'snapchat',
  snowflake: 'snowflake',
  splunk: 'splunk',
  spotify: 'spotify',
  'spotify-oauth2-cc': 'spotify',
  square: 'square',
  squarespace: 'squarespace',
  stackexchange: 'stackexchange',
  statista: 'statista',
  strava: 'strava',
  'strava-web': 'strava',
  stripe: 'stripe',
  'stripe-app': 'stripe',
  'stripe-app-sandbox': 'stripe',
  'stripe-express': 'stripe',
  supabase: 'supabase',
  'survey-monkey': 'surveymonkey',
  'tailscale-api-key': 'tailscale',
  terraform: 'terraform',
  threads: 'threads',
  ticktick: 'ticktick',
  'tiktok-accounts': 'tiktok',
  'tiktok-ads': 'tiktok',
  'tiktok-personal': 'tiktok',
  todoist: 'todoist',
  toggl: 'toggl',
  trello: 'trello',
  'trello-scim': 'trello',
  'trustpilot-cc': 'trustpilot',
  tumblr: 'tumblr',
  twitch: 'twitch',
  'twitter-oauth2-cc': 'x',
  typeform: 'typeform',
  uber: 'uber',
  vercel: 'vercel',
  vimeo: 'vimeo',
  'vimeo-basic': 'vimeo',
  vtex: 'vtex',
  wakatime: 'wakatime',
  webflow: 'webflow',
  'whatsapp-business': 'whatsapp',
  wise: 'wise',
  woocommerce: 'woocommerce',
  wordpress: 'wordpress',
  x: 'x',
  xero: 'xero',
  'xero-oauth2-cc': 'xero',
  youtube: 'youtube',
  zapier: 'zapier',
  'zapier-nla': 'zapier',
  'zapier-scim': 'zapier',
  zendesk: 'zendesk',
  'zendesk-sell': 'zendesk',
  zoho: 'zoho',
  'zoho-bigin': 'zoho',
  'zoho-books': 'zoho',
  'zoho-calendar': 'zoho',
  'zoho-crm': 'zoho',
  'zoho-desk': 'zoho',
  'zoho-inventory': 'zoho',
  'zoho-invoice': 'zoho',
  'zoho-mail': 'zoho',
  'zoho-people': 'zoho',
  'zoho-recruit': 'zoho',
  zoom: 'zoom',
  'zoom-cc': 'zoom',
};

/** Monogram backgrounds: mid-dark tones that keep white initials readable. */
const PALETTE = [
  '#4f46e5', '#0f766e', '#b45309', '#be123c', '#1d4ed8', '#7c3aed',
  '#047857', '#c2410c', '#0369a1', '#6d28d9', '#a21caf', '#334155',
];

const [platformsDir, logosDir] = process.argv.slice(2);
if (!platformsDir || !logosDir) {
  console.error('usage: node xtask/logos.mjs <catalog/platforms> <public/logos>');
  process.exit(2);
}

const bySlug = new Map(Object.values(simpleIcons).map((icon) => [icon.slug, icon]));
const licenses = loadLicenses();

/** Icons the package marks with their own licence (not CC0) are not vendored. */
function loadLicenses() {
  const url = new URL('./node_modules/simple-icons/data/simple-icons.json', import.meta.url);
  const data = JSON.parse(readFileSync(url, 'utf8'));
  const icons = Array.isArray(data) ? data : data.icons;
  const out = new Map();
  for (const icon of icons) {
    if (icon.license) out.set(icon.slug ?? icon.title, icon.license.type);
  }
  return out;
}

/** The top-level keys a logo needs, read without a TOML library (the xtask adds no dependency). */
function readPlatform(text) {
  const head = text.split(/^\[/m)[0];
  const value = (key) => {
    const m = head.match(new RegExp(`^${key}\\s*=\\s*"((?:[^"\\\\]|\\\\.)*)"`, 'm'));
    return m ? m[1].replace(/\\(.)/g, '$1') : undefined;
  };
  return {
    slug: value('slug'),
    name: value('name'),
    logo: value('logo'),
    local: /^local\s*=\s*true\b/m.test(head),
  };
}

function escapeXml(s) {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function luminance(hex) {
  const channel = (i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4);
}

function brandSvg(icon) {
  const title = escapeXml(icon.title);
  // A very light brand colour (Mailchimp yellow, Intercom cyan) would vanish on the modal's
  // white cards, so it sits on a dark tile; every other mark is drawn bare in its colour.
  const light = luminance(icon.hex) > 0.6;
  const body = light
    ? `<rect x="-3" y="-3" width="30" height="30" rx="6" fill="#1f2937"/><path fill="#${icon.hex}" d="${icon.path}"/>`
    : `<path fill="#${icon.hex}" d="${icon.path}"/>`;
  const viewBox = light ? '-3 -3 30 30' : '0 0 24 24';
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="${viewBox}" role="img" aria-label="${title}"><title>${title}</title>${body}</svg>\n`;
}

/** "Microsoft Teams" → MT, "ActiveCampaign" → AC, "xAI" → xAI, "monday.com" → M. */
function initials(name) {
  const words = name.split(/[\s\-_/]+/).filter((w) => /[A-Za-z0-9]/.test(w));
  if (words.length >= 2) return (words[0][0] + words[1][0]).toUpperCase();
  const word = words[0] ?? name;
  if (word.length <= 3) return word;
  const capitals = word.match(/[A-Z]/g) ?? [];
  if (/^[A-Z]/.test(word) && capitals.length >= 2) return capitals[0] + capitals[1];
  return word[0].toUpperCase();
}

function colourFor(slug) {
  // FNV-1a: the same slug always gets the same colour, with no state to keep.
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(slug)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return PALETTE[hash % PALETTE.length];
}

function monogramSvg(slug, name) {
  const letters = escapeXml(initials(name));
  const size = letters.length > 1 ? 24 : 30;
  const label = escapeXml(name);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" role="img" aria-label="${label}"><title>${label}</title><rect width="64" height="64" rx="14" fill="${colourFor(slug)}"/><text x="32" y="${32 + size * 0.36}" text-anchor="middle" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="${size}" font-weight="700" fill="#fff">${letters}</text></svg>\n`;
}

const files = readdirSync(platformsDir).filter((f) => f.endsWith('.toml')).sort();
const fromPackage = [];
const monograms = [];
const problems = [];
for (const file of files) {
  const platform = readPlatform(readFileSync(join(platformsDir, file), 'utf8'));
  if (!platform.slug || !platform.name) {
    problems.push(`${file}: no slug or name`);
    continue;
  }
  if (platform.local) continue;
  const target = join(logosDir, platform.logo ?? `${platform.slug}.svg`);
  const iconSlug = SIMPLE_ICONS[platform.slug];
  if (iconSlug) {
    const icon = bySlug.get(iconSlug);
    const license = licenses.get(iconSlug);
    if (!icon) {
      problems.push(`${file}: simple-icons has no icon "${iconSlug}" (renamed or removed?)`);
      continue;
    }
    if (license && license !== 'CC0-1.0') {
      problems.push(`${file}: simple-icons "${iconSlug}" is ${license}, not CC0; drop it from SIMPLE_ICONS`);
      continue;
    }
    writeFileSync(target, brandSvg(icon));
    fromPackage.push(platform.slug);
  } else {
    writeFileSync(target, monogramSvg(platform.slug, platform.name));
    monograms.push(platform.slug);
  }
}
for (const slug of Object.keys(SIMPLE_ICONS)) {
  if (!files.includes(`${slug}.toml`)) problems.push(`SIMPLE_ICONS names "${slug}", which has no platform file`);
}

console.log(`logos: ${fromPackage.length} from simple-icons, ${monograms.length} monograms`);
console.log(`monograms: ${monograms.join(', ')}`);
if (problems.length) {
  for (const p of problems) console.error(`logos: ${p}`);
  process.exit(1);
}
