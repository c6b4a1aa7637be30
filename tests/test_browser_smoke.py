"""The browser the web pages' tests use starts and clicks (tests/browser.py)."""


async def test_the_browser_clicks_a_button(page):
    await page.set_content("<button onclick=\"this.textContent='好'\">点我</button>")
    await page.click("text=点我")
    assert await page.text_content("button") == "好"
