"""axe-core, from the webclient's npm packages (a development dependency, never served), run on a page in the
state a browser test has brought it to: WCAG 2.0 and 2.1 A and AA rules plus axe's best practices, and any
violation fails the test with the rule, its impact, the elements and the fix axe suggests.

The pages' Content-Security-Policy refuses inline scripts, so a <script> tag with axe's source would be
refused (and fail the tests that watch for refusals); page.evaluate runs the source through the DevTools
protocol, which the policy does not govern. The page itself is left as it is, policy included."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from playwright.async_api import Page

AXE = Path(__file__).resolve().parents[2] / "webclient" / "node_modules" / "axe-core" / "axe.min.js"
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


@cache
def axe_source() -> str:
    assert AXE.is_file(), f"{AXE} is missing: scripts/setup --for-tests installs the webclient's npm packages"
    return AXE.read_text("utf-8")


async def violations(page: Page) -> list[dict]:
    """axe's violations on the page as it is now (axe's own result objects)."""
    if not await page.evaluate("typeof window.axe === 'object'"):
        await page.evaluate(axe_source())
    return await page.evaluate(
        """async (tags) => (await axe.run(document, {
               runOnly: {type: "tag", values: tags},
               resultTypes: ["violations"],
           })).violations""",
        RULES,
    )


def describe(found: list[dict]) -> str:
    """Per rule: its id, impact, help and page about it; then each offending element and what would fix it."""
    lines = []
    for violation in found:
        rule, impact, help_text, about = (violation[k] for k in ("id", "impact", "help", "helpUrl"))
        lines.append(f"{rule} ({impact}): {help_text} <{about}>")
        for node in violation["nodes"]:
            lines.append(f"  {' '.join(map(str, node['target']))}")
            lines.extend(f"    {line}" for line in (node.get("failureSummary") or "").splitlines())
    return "\n".join(lines)


async def assert_accessible(page: Page, state: str) -> None:
    """No axe violation on the page in this state (the state names it in the failure: "phone, voted")."""
    found = await violations(page)
    assert not found, f"axe: {len(found)} rule(s) violated on {state} ({page.url}):\n{describe(found)}"
