// What is shown of an email: the new text without quoted history or signature, and HTML reduced
// to an allow-list of harmless tags and attributes. Pure functions, thread-safe, linear time.
#pragma once

#include <string>
#include <string_view>

namespace bottega::channels::email {

// The reply's own text: cuts at the first quote header ("On <date>, <name> wrote:", also folded
// over two lines; "-----Original Message-----"; Outlook's "From: ..." block after a rule or
// blank line; "Le ... a écrit :", "Am ... schrieb ...:"), drops ">"-quoted lines, cuts at the
// signature delimiter "-- " and at "Sent from my ..." footers, and trims blank lines. When
// stripping would leave nothing, the original text (trimmed) is returned.
std::string strip_reply(std::string_view text);

// Plain text of an HTML body (for mail without a text/plain part): tags removed, block elements
// become line breaks, entities decoded, <blockquote>, <script>, <style> and <head> dropped.
std::string html_to_text(std::string_view html);

// An allow-list sanitizer. Kept elements: a, b, strong, i, em, u, s, p, br, hr, div, span, ul,
// ol, li, blockquote, pre, code, h1-h6, table, thead, tbody, tr, td, th, font (attributes
// dropped). Kept attributes: href on <a> (http, https and mailto only; rel="noopener noreferrer
// nofollow" and target="_blank" are added), title on any kept element, colspan/rowspan on cells.
// The contents of script, style, head, title, iframe, object, embed, svg, math, template and
// noscript are dropped; other unknown tags are dropped and their text kept. Comments, doctype and
// processing instructions are dropped. Text and attribute values are re-escaped; entities are
// decoded first, so nothing the input encodes survives as markup. Every kept element is closed.
std::string sanitize_html(std::string_view html);

// Decodes HTML character references (&amp; &lt; &#39; &#x263a; and the common named ones).
std::string decode_entities(std::string_view s);

}  // namespace bottega::channels::email
