"""What a page's layout must hold on a phone, measured in the browser: nothing wider than the
screen, every tap target at least 44 × 44 px, no word or phone number split across two lines."""

from playwright.async_api import Page

TAP = 44

# Targets a finger aims at: links and buttons standing on their own (a link inside a sentence
# is exempt, as WCAG 2.5.5 allows), form controls, and the labels of radio buttons.
_SMALL_TARGETS = """
(tap) => {
  const small = [];
  const visible = (el) => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return box.width > 0 && box.height > 0 && style.visibility !== "hidden"
      && !el.closest(".visually-hidden");
  };
  const inSentence = (el) => {
    const block = el.parentElement.closest("p, li, dd, td, th, span, address");
    if (!block) return false;
    const own = el.textContent.replace(/\\s+/g, " ").trim();
    const all = block.textContent.replace(/\\s+/g, " ").trim();
    return all.length > own.length + 1;
  };
  const targets = "a[href], button, summary, select, textarea, label.choice__option, "
    + "input:not([type=hidden]):not([type=radio]):not([type=checkbox])";
  for (const el of document.querySelectorAll(targets)) {
    if (!visible(el)) continue;
    if (el.matches("a") && inSentence(el)) continue;
    if (el.matches(".skip-link")) continue;
    const box = el.getBoundingClientRect();
    if (box.width < tap - 0.5 || box.height < tap - 0.5) {
      small.push(`${el.tagName.toLowerCase()} « ${el.textContent.trim().slice(0, 40)} » `
                 + `${Math.round(box.width)}×${Math.round(box.height)}`);
    }
  }
  return small;
}
"""

# A word (or a phone number, kept whole by non-breaking spaces) whose pieces sit on two lines.
_BROKEN_WORDS = """
() => {
  const broken = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const parent = node.parentElement;
    if (!parent || parent.closest("script, style, .visually-hidden, option, select")) continue;
    const text = node.textContent;
    const words = /[^ \\n\\t\\r-]+/g;  // a line may break at a space or a hyphen
    let match;
    while ((match = words.exec(text)) !== null) {
      if (match[0].length < 2) continue;
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0)
                            .map((r) => Math.round(r.top)));
      if (tops.size > 1) broken.push(match[0]);
    }
  }
  return broken;
}
"""


async def too_wide(page: Page) -> bool:
    """The page scrolls sideways."""
    return bool(await page.evaluate(
        "document.documentElement.scrollWidth > window.innerWidth"))


async def small_targets(page: Page) -> list[str]:
    found: list[str] = await page.evaluate(_SMALL_TARGETS, TAP)
    return found


async def broken_words(page: Page) -> list[str]:
    found: list[str] = await page.evaluate(_BROKEN_WORDS)
    return found


async def layout_problems(page: Page) -> list[str]:
    """Everything wrong with the current page's layout on this viewport, in French-free
    words a developer reads."""
    problems = []
    if await too_wide(page):
        problems.append("scrolls sideways")
    problems += [f"tap target too small: {t}" for t in await small_targets(page)]
    problems += [f"word broken across lines: {w}" for w in await broken_words(page)]
    return problems
