"""A device, as far as a sign-in shows it: the user agent's family (browser and operating
system, without versions, so that browser updates are not new devices).

There is no device cookie: a user agent family is what every sign-in path carries, including
API clients that keep no cookies. Two browsers of one kind on two machines of one system look
alike; the country and travel signals cover much of that gap.
"""

import hashlib
import re

_BROWSERS = (
    ("Edge", re.compile(r"\bEdg(?:e|A|iOS)?/")),
    ("Opera", re.compile(r"\bOPR/|\bOpera\b")),
    ("Samsung Internet", re.compile(r"\bSamsungBrowser/")),
    ("Firefox", re.compile(r"\bFirefox/|\bFxiOS/")),
    ("Chrome", re.compile(r"\bChrome/|\bCriOS/|\bChromium/")),
    ("Safari", re.compile(r"\bSafari/")),
    ("curl", re.compile(r"^curl/")),
    ("node", re.compile(r"\bnode(?:-fetch)?\b|\bundici\b", re.IGNORECASE)),
    ("python", re.compile(r"python|httpx|aiohttp", re.IGNORECASE)),
)
_SYSTEMS = (
    ("iOS", re.compile(r"\biPhone|\biPad|\biPod")),
    ("Android", re.compile(r"\bAndroid\b")),
    ("ChromeOS", re.compile(r"\bCrOS\b")),
    ("Windows", re.compile(r"\bWindows\b")),
    ("macOS", re.compile(r"\bMacintosh\b|\bMac OS X\b")),
    ("Linux", re.compile(r"\bLinux\b|\bX11\b")),
)
_MAX_USER_AGENT = 512


def user_agent_family(user_agent: str) -> str:
    """ "Firefox on Windows", "python", "other"; "" for a missing user agent."""
    text = user_agent.strip()[:_MAX_USER_AGENT]
    if not text:
        return ""
    browser = next((name for name, pattern in _BROWSERS if pattern.search(text)), "other")
    system = next((name for name, pattern in _SYSTEMS if pattern.search(text)), "")
    return f"{browser} on {system}" if system else browser


def device_hash(user_id: str, family: str) -> bytes:
    return hashlib.sha256(f"{user_id}\x00{family}".encode()).digest()
