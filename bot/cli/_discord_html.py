"""Discord-like HTML of a few messages, for the README's pictures: a pure function of what the messages say.

The page looks like Discord's dark theme: avatars as coloured initials, author names with an APP badge for the
bot, times as a reader in the given time zone sees them, embeds as cards, buttons, attachments, reactions, and
mentions and <t:…> timestamps shown as Discord shows them. Everything a member wrote is HTML-escaped.
"""

from __future__ import annotations

import html
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

GROUP_WITHIN = timedelta(minutes=7)  # Discord shows a member's next message under the same header within this
AVATAR_COLOURS = ("#5865f2", "#3ba55c", "#faa61a", "#ed4245", "#eb459e", "#1abc9c", "#e67e22", "#9b59b6")
BUTTON_STYLES = {1: "primary", 2: "secondary", 3: "success", 4: "danger", 5: "secondary"}


@dataclass(frozen=True)
class Names:
    """Who and what <@id>, <@&id> and <#id> stand for."""

    users: dict[int, str] = field(default_factory=dict)
    roles: dict[int, str] = field(default_factory=dict)
    channels: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Shown:
    """One message as the page shows it."""

    author: str
    at: datetime
    content: str = ""
    bot: bool = False
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)
    reactions: list[tuple[str, int]] = field(default_factory=list)
    edited: bool = False
    reply_to: Shown | None = None


def _time(at: datetime, zone: ZoneInfo) -> str:
    local = at.astimezone(zone)
    return f"{local:%I:%M %p}".lstrip("0")


def discord_time(at: datetime, style: str, zone: ZoneInfo, now: datetime) -> str:
    """A <t:unix:style> timestamp as Discord shows it in English (US) to a reader in `zone`; "R" relative to now."""
    local = at.astimezone(zone)
    day = f"{local:%B} {local.day}, {local.year}"
    if style == "R":
        seconds = (at - now).total_seconds()
        if abs(seconds) < 1:
            return "now"
        amount, unit = next((round(abs(seconds) / size), name) for size, name in
                            ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second"))
                            if abs(seconds) >= size or size == 1)
        words = f"{'a' if unit != 'hour' else 'an'} {unit}" if amount == 1 else f"{amount} {unit}s"
        return f"in {words}" if seconds >= 0 else f"{words} ago"
    shown = {"t": _time(at, zone), "T": f"{local:%I:%M:%S %p}".lstrip("0"), "d": f"{local:%m/%d/%Y}", "D": day,
             "F": f"{local:%A}, {day} at {_time(at, zone)}"}
    return shown.get(style, f"{day} at {_time(at, zone)}")


def markup(text: str, names: Names, zone: ZoneInfo, now: datetime) -> str:
    """Discord's markdown, mentions and timestamps as HTML; the text itself escaped."""
    pieces: list[str] = []

    def hold(piece: str) -> str:  # a finished piece of HTML, kept out of escaping and markdown
        pieces.append(piece)
        return f"\ue000{len(pieces) - 1}\ue001"

    def mention(match: re.Match[str]) -> str:
        kind, number = match[1], int(match[2])
        if kind == "#":
            return hold(f'<span class="mention">#{html.escape(names.channels.get(number, "unknown"))}</span>')
        if kind == "@&":
            return hold(f'<span class="mention">@{html.escape(names.roles.get(number, "unknown-role"))}</span>')
        return hold(f'<span class="mention">@{html.escape(names.users.get(number, "unknown-user"))}</span>')

    def stamp(match: re.Match[str]) -> str:
        at = datetime.fromtimestamp(int(match[1]), now.tzinfo)
        return hold(f'<span class="stamp">{html.escape(discord_time(at, match[2] or "f", zone, now))}</span>')

    def code(match: re.Match[str]) -> str:
        return hold(f"<code>{html.escape(match[1])}</code>")

    text = re.sub(r"`([^`\n]+)`", code, text)
    text = re.sub(r"<t:(-?\d+)(?::([tTdDfFR]))?>", stamp, text)
    text = re.sub(r"<(#|@&|@!?)(\d+)>", mention, text)
    text = re.sub(r"@(everyone|here)\b", lambda m: hold(f'<span class="mention">@{m[1]}</span>'), text)
    text = html.escape(text, quote=False)
    text = re.sub(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)", lambda m: hold(f'<a>{m[1]}</a>'), text)
    text = re.sub(r"(?<![\w\"'])https?://[^\s<]+", lambda m: hold(f"<a>{m[0]}</a>"), text)
    for pattern, tag in ((r"\*\*(.+?)\*\*", "strong"), (r"__(.+?)__", "u"), (r"~~(.+?)~~", "s"),
                         (r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", "em"), (r"(?<!\w)_(.+?)_(?!\w)", "em")):
        text = re.sub(pattern, f"<{tag}>\\1</{tag}>", text)
    lines = []
    for line in text.split("\n"):
        heading = re.match(r"(#{1,3}) (.*)", line)
        if heading:
            line = f'<span class="h{len(heading[1])}">{heading[2]}</span>'
        elif line.startswith("-# "):
            line = f'<span class="subtext">{line[3:]}</span>'
        elif line.startswith("&gt; "):
            line = f'<span class="quote">{line[5:]}</span>'
        elif re.match(r"[-*] ", line):
            line = f"<span class=\"bullet\">• {line[2:]}</span>"
        lines.append(line)
    text = "<br>".join(lines)
    while "\ue000" in text:
        text = re.sub("\ue000(\\d+)\ue001", lambda m: pieces[int(m[1])], text)
    return text


def _initials(name: str) -> str:
    words = [w for w in re.split(r"\s+", name) if w]
    return html.escape("".join(w[0] for w in words[:2]).upper() or "?")


def _avatar(name: str, size: str = "") -> str:
    colour = AVATAR_COLOURS[zlib.crc32(name.encode("utf-8")) % len(AVATAR_COLOURS)]
    return f'<div class="avatar{size}" style="background:{colour}">{_initials(name)}</div>'


def _embed(embed: dict[str, Any], text: Callable[[str], str], zone: ZoneInfo) -> str:
    colour = embed.get("color")
    border = f"#{colour:06x}" if isinstance(colour, int) and colour else "#1e1f22"
    parts = []
    if (author := (embed.get("author") or {}).get("name")):
        parts.append(f'<div class="e-author">{html.escape(author)}</div>')
    if embed.get("title"):
        parts.append(f'<div class="e-title">{text(embed["title"])}</div>')
    if embed.get("description"):
        parts.append(f'<div class="e-desc">{text(embed["description"])}</div>')
    fields = embed.get("fields") or []
    if fields:
        cells = "".join(f'<div class="e-field{" inline" if f.get("inline") else ""}"><div class="e-name">'
                        f'{text(f.get("name", ""))}</div><div>{text(f.get("value", ""))}</div></div>'
                        for f in fields)
        parts.append(f'<div class="e-fields">{cells}</div>')
    footer = [html.escape(t) for t in [(embed.get("footer") or {}).get("text", "")] if t]
    if embed.get("timestamp"):
        footer.append(html.escape(_header_time(datetime.fromisoformat(embed["timestamp"]), zone)))
    if footer:
        parts.append(f'<div class="e-footer">{" • ".join(footer)}</div>')
    return f'<div class="embed" style="border-left-color:{border}">{"".join(parts)}</div>'


def _buttons(rows: list[dict[str, Any]]) -> str:
    shown = []
    for row in rows:
        buttons = []
        for component in row.get("components", []):
            if component.get("type") != 2:
                continue
            emoji = (component.get("emoji") or {}).get("name", "")
            label = " ".join(p for p in (emoji, component.get("label") or "") if p)
            style = BUTTON_STYLES.get(component.get("style", 2), "secondary")
            link = " ↗" if component.get("style") == 5 else ""
            buttons.append(f'<span class="button {style}{" disabled" if component.get("disabled") else ""}">'
                           f"{html.escape(label)}{link}</span>")
        if buttons:
            shown.append(f'<div class="buttons">{"".join(buttons)}</div>')
    return "".join(shown)


def _header_time(at: datetime, zone: ZoneInfo) -> str:
    local = at.astimezone(zone)
    return f"{local:%m/%d/%Y} {_time(at, zone)}"


def _excerpt(message: Shown, names: Names, zone: ZoneInfo) -> str:
    first = message.content.split("\n", 1)[0] or "Click to see attachment"
    return markup(first[:90] + ("…" if len(first) > 90 else ""), names, zone, message.at)


def _message(message: Shown, names: Names, zone: ZoneInfo, *, grouped: bool) -> str:
    text = partial_markup(names, zone, message.at)
    body = []
    if message.content:
        edited = ' <span class="edited">(edited)</span>' if message.edited else ""
        body.append(f'<div class="content">{text(message.content)}{edited}</div>')
    body += [_embed(embed, text, zone) for embed in message.embeds]
    body += [f'<div class="file"><span class="file-icon">📄</span><span class="file-name">{html.escape(name)}'
             "</span></div>" for name in message.attachments]
    body.append(_buttons(message.components))
    if message.reactions:
        chips = "".join(f'<span class="reaction">{html.escape(emoji)} <b>{count}</b></span>'
                        for emoji, count in message.reactions)
        body.append(f'<div class="reactions">{chips}</div>')
    if grouped:
        return f'<div class="message grouped"><div class="gutter"></div><div class="main">{"".join(body)}</div></div>'
    reply = ""
    if message.reply_to is not None:
        reply = (f'<div class="reply">{_avatar(message.reply_to.author, " small")}<span class="reply-name">'
                 f"@{html.escape(message.reply_to.author)}</span> <span class=\"reply-text\">"
                 f"{_excerpt(message.reply_to, names, zone)}</span></div>")
    badge = '<span class="badge">APP</span>' if message.bot else ""
    header = (f'<div class="header"><span class="name">{html.escape(message.author)}</span>{badge}'
              f'<span class="time">{html.escape(_header_time(message.at, zone))}</span></div>')
    return (f'<div class="message">{reply}<div class="row">{_avatar(message.author)}<div class="main">{header}'
            f'{"".join(body)}</div></div></div>')


def partial_markup(names: Names, zone: ZoneInfo, now: datetime) -> Callable[[str], str]:
    """markup() with the names, zone and a message's own time fixed: its relative timestamps count from it."""
    return lambda text: markup(text, names, zone, now)


def render_page(channel: str, messages: list[Shown], names: Names, zone: ZoneInfo, *, topic: str = "") -> str:
    """A whole HTML page: the channel's header and the messages, grouped as Discord groups them."""
    shown, previous = [], None
    for message in messages:
        grouped = (previous is not None and previous.author == message.author and message.reply_to is None
                   and timedelta(0) <= message.at - previous.at < GROUP_WITHIN)
        shown.append(_message(message, names, zone, grouped=grouped))
        previous = message
    about = f'<span class="topic">{html.escape(topic)}</span>' if topic else ""
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>#{html.escape(channel)}'
            f"</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<div class=\"channel\"><span class=\"hash\">#"
            f"</span>{html.escape(channel)}{about}</div>\n<div class=\"messages\">\n" + "\n".join(shown)
            + "\n</div>\n</body>\n</html>\n")


STYLE = """
*{box-sizing:border-box}
body{margin:0;background:#313338;color:#dbdee1;width:100%;
font:16px/1.375 "gg sans","Noto Sans","Liberation Sans","DejaVu Sans",Arial,sans-serif,"Noto Color Emoji"}
.channel{height:48px;display:flex;align-items:center;padding:0 16px;border-bottom:1px solid #1f2023;
font-weight:600;color:#f2f3f5;box-shadow:0 1px 0 rgba(4,4,5,.2)}
.hash{color:#80848e;font-size:24px;font-weight:400;margin-right:8px}
.topic{color:#949ba4;font-weight:400;font-size:14px;margin-left:16px;padding-left:16px;border-left:1px solid #3f4147}
.messages{padding:8px 0 16px}
.message{padding:2px 48px 2px 16px;margin-top:17px}
.message.grouped{margin-top:0;display:flex}
.row{display:flex}
.gutter{width:56px;flex:none}
.avatar{width:40px;height:40px;border-radius:50%;flex:none;margin-right:16px;display:flex;align-items:center;
justify-content:center;color:#fff;font-weight:600;font-size:15px;margin-top:2px}
.avatar.small{width:16px;height:16px;font-size:8px;margin:0 4px 0 0}
.main{min-width:0;flex:1}
.header{display:flex;align-items:baseline;gap:8px}
.name{color:#f2f3f5;font-weight:500}
.badge{background:#5865f2;color:#fff;font-size:10px;font-weight:600;padding:1px 4px;border-radius:3px;
position:relative;top:-2px;margin-left:-4px}
.time{color:#949ba4;font-size:12px}
.content{white-space:normal;overflow-wrap:anywhere}
.edited{color:#949ba4;font-size:10px}
strong{color:#f2f3f5}
.mention{background:rgba(88,101,242,.3);color:#c9cdfb;border-radius:3px;padding:0 2px;font-weight:500}
.stamp{background:rgba(255,255,255,.06);border-radius:3px;padding:0 2px}
code{background:#2b2d31;border:1px solid #1e1f22;border-radius:4px;padding:0 3px;font-size:85%;
font-family:"DejaVu Sans Mono",monospace}
a{color:#00a8fc}
.h1{font-size:24px;font-weight:700;color:#f2f3f5}.h2{font-size:20px;font-weight:700}.h3{font-size:16px;font-weight:700}
.subtext{color:#949ba4;font-size:13px}
.quote{border-left:4px solid #4e5058;padding-left:12px;display:inline-block}
.reply{display:flex;align-items:center;margin-left:20px;font-size:14px;color:#b5bac1;position:relative;
padding-left:36px;margin-bottom:4px;white-space:nowrap;overflow:hidden}
.reply:before{content:"";position:absolute;left:0;top:8px;width:30px;height:10px;border-left:2px solid #4e5058;
border-top:2px solid #4e5058;border-top-left-radius:6px}
.reply-name{color:#f2f3f5;font-weight:500;margin-right:4px}
.reply-text{overflow:hidden;text-overflow:ellipsis}
.embed{background:#2b2d31;border-left:4px solid #1e1f22;border-radius:4px;padding:8px 16px 12px 12px;
margin-top:4px;max-width:520px;font-size:14px}
.e-author{font-size:14px;font-weight:600;color:#f2f3f5;margin-top:8px}
.e-title{font-weight:600;color:#f2f3f5;margin-top:8px;font-size:16px}
.e-desc{margin-top:8px;white-space:normal}
.e-fields{display:grid;grid-template-columns:repeat(3,1fr);gap:8px;margin-top:8px}
.e-field{grid-column:1/-1}.e-field.inline{grid-column:auto}
.e-name{font-weight:600;color:#f2f3f5}
.e-footer{font-size:12px;color:#b5bac1;margin-top:8px}
.file{display:flex;align-items:center;gap:8px;background:#2b2d31;border:1px solid #1e1f22;border-radius:8px;
padding:12px 16px;margin-top:6px;max-width:420px}
.file-icon{font-size:26px}.file-name{color:#00a8fc}
.buttons{display:flex;gap:8px;margin-top:8px;flex-wrap:wrap}
.button{padding:2px 16px;height:32px;display:inline-flex;align-items:center;border-radius:8px;font-size:14px;
font-weight:500;color:#fff}
.primary{background:#5865f2}.secondary{background:#4e5058}.success{background:#248046}.danger{background:#da373c}
.disabled{opacity:.5}
.reactions{display:flex;gap:4px;margin-top:4px}
.reaction{background:#2b2d31;border:1px solid transparent;border-radius:8px;padding:2px 6px;font-size:14px}
.reaction b{color:#b5bac1;font-weight:500;margin-left:2px}
"""
