// Slack's mrkdwn and plain_text, drawn as Slack's client draws them: escaped first, then formatted.
"use strict";

const EMOJI = {
  white_check_mark: "✅", warning: "⚠️", rocket: "🚀", ballot_box_with_ballot: "🗳️", white_circle: "⚪", wave: "👋",
  wastebasket: "🗑️", trophy: "🏆", rotating_light: "🚨", red_circle: "🔴", large_yellow_circle: "🟡",
  large_orange_circle: "🟠", large_green_circle: "🟢", hourglass_flowing_sand: "⏳", hourglass: "⌛", bell: "🔔",
  test_tube: "🧪", palm_tree: "🌴", lock: "🔒", grey_question: "❔", fire: "🔥", fast_forward: "⏩",
  double_vertical_bar: "⏸️", arrow_forward: "▶️", alarm_clock: "⏰", x: "❌", twisted_rightwards_arrows: "🔀",
  thinking_face: "🤔", tada: "🎉", no_entry: "⛔", newspaper: "📰", mute: "🔇", link: "🔗", key: "🔑",
  information_source: "ℹ️", inbox_tray: "📥", heavy_minus_sign: "➖", dart: "🎯", checkered_flag: "🏁",
  chart_with_upwards_trend: "📈", chart_with_downwards_trend: "📉", calendar: "📅", ballot_box_with_check: "☑️",
  heavy_check_mark: "✔️", eyes: "👀", memo: "📝", bulb: "💡", star: "⭐", sparkles: "✨", moneybag: "💰",
  chart: "💹", bar_chart: "📊", clipboard: "📋", pushpin: "📌", construction: "🚧", stopwatch: "⏱️",
  arrow_up: "⬆️", arrow_down: "⬇️", arrow_right: "➡️", large_blue_circle: "🔵", black_circle: "⚫",
  thumbsup: "👍", "+1": "👍", thumbsdown: "👎", "-1": "👎", raised_hands: "🙌", pray: "🙏", muscle: "💪",
  zzz: "💤", question: "❓", exclamation: "❗", heavy_plus_sign: "➕", hammer_and_wrench: "🛠️", gear: "⚙️",
  mag: "🔍", speech_balloon: "💬", busts_in_silhouette: "👥", bust_in_silhouette: "👤", spiral_calendar_pad: "🗓️",
  stop_sign: "🛑", repeat: "🔁", seedling: "🌱", crystal_ball: "🔮", scales: "⚖️", traffic_light: "🚦",
  sos: "🆘", triangular_flag_on_post: "🚩", arrows_counterclockwise: "🔄", black_square_for_stop: "⏹️",
};

function escapeHtml(text) {
  return String(text ?? "").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

function emojify(html) {
  return html.replace(/:([a-z0-9_+-]+):/g, (whole, name) => EMOJI[name] || whole);
}

// Slack sends & < > escaped in mrkdwn; undo that only after we have found the <…> tokens.
function unescapeSlack(text) {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

function renderToken(inner, ctx) {
  const [target, label] = inner.split("|", 2);
  if (target.startsWith("@")) {
    const id = target.slice(1);
    const user = ctx.users[id];
    const name = label || (user ? user.name : id);
    return `<span class="mention${id === ctx.me ? " me" : ""}" data-user="${escapeHtml(id)}">@${escapeHtml(name)}</span>`;
  }
  if (target.startsWith("#")) {
    const id = target.slice(1);
    const name = label || ctx.names[id] || id;
    return `<span class="mention channel">#${escapeHtml(name)}</span>`;
  }
  if (target.startsWith("!")) {
    const word = target.slice(1).split("^")[0];
    if (word.startsWith("date")) return escapeHtml(unescapeSlack(label || word));
    return `<span class="mention">@${escapeHtml(label || word)}</span>`;
  }
  const href = unescapeSlack(target);
  const safe = /^(https?:|mailto:)/i.test(href) ? href : "#";
  return `<a href="${escapeHtml(safe)}" target="_blank" rel="noopener noreferrer">${escapeHtml(unescapeSlack(label || target))}</a>`;
}

function inline(text) {
  // text is already HTML-escaped; format code first so nothing inside code is formatted.
  const parts = text.split(/(`[^`\n]+`)/g);
  return parts.map((part) => {
    if (/^`[^`\n]+`$/.test(part)) return `<code>${part.slice(1, -1)}</code>`;
    return emojify(part)
      .replace(/(^|[\s(>\u00a0])\*(?!\s)([^*\n]+?)\*(?=$|[\s).,;:!?<\u00a0])/g, "$1<b>$2</b>")
      .replace(/(^|[\s(>\u00a0])_(?!\s)([^_\n]+?)_(?=$|[\s).,;:!?<\u00a0])/g, "$1<i>$2</i>")
      .replace(/(^|[\s(>\u00a0])~(?!\s)([^~\n]+?)~(?=$|[\s).,;:!?<\u00a0])/g, "$1<s>$2</s>");
  }).join("");
}

// mrkdwn → HTML string (safe: every piece of user text is escaped).
function mrkdwn(source, ctx) {
  const tokens = [];
  let text = String(source ?? "").replace(/<([^<>\n]+)>/g, (whole, inner) => {
    tokens.push(renderToken(inner, ctx));
    return `\u0000${tokens.length - 1}\u0000`;
  });
  text = escapeHtml(unescapeSlack(text));
  const blocks = text.split(/```/);
  const html = blocks.map((chunk, index) => {
    if (index % 2 === 1) return `<pre>${chunk.replace(/^\n/, "")}</pre>`;
    return chunk.split("\n").map((line) => {
      const quote = line.match(/^(&gt;|>)\s?(.*)$/);
      return quote ? `<blockquote>${inline(quote[2])}</blockquote>` : inline(line);
    }).join("<br>").replace(/<\/blockquote><br>/g, "</blockquote>");
  }).join("");
  return html.replace(/\u0000(\d+)\u0000/g, (whole, n) => tokens[Number(n)]);
}

function plainText(source, emoji = true) {
  const html = escapeHtml(source);
  return emoji ? emojify(html) : html;
}

// A text object ({type: "mrkdwn"|"plain_text", text}) → HTML.
function textObject(obj, ctx) {
  if (!obj) return "";
  if (typeof obj === "string") return mrkdwn(obj, ctx);
  if (obj.type === "mrkdwn") return obj.verbatim ? escapeHtml(obj.text) : mrkdwn(obj.text, ctx);
  return plainText(obj.text, obj.emoji !== false).replace(/\n/g, "<br>");
}

window.HW = Object.assign(window.HW || {}, { escapeHtml, mrkdwn, plainText, textObject, EMOJI });
