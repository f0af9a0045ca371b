"""Settings from the environment, read once when the app or CLI starts."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_TOKEN = "forumbot-dev-token"


@dataclass(frozen=True)
class Config:
    env: str = "development"
    wechat_token: str = DEV_TOKEN
    wechat_appid: str = ""
    wechat_aes_key: str = ""
    admin_token: str = ""
    knowledge_dir: Path = PROJECT_ROOT / "knowledge" / "sources"
    data_dir: Path = PROJECT_ROOT / "data"
    redis_url: str = ""
    replay_window: int = 300  # seconds a signed timestamp stays valid; 0 disables the check
    max_body_bytes: int = 1024 * 1024

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Config:
        env = os.environ if environ is None else environ
        return cls(
            env=env.get("BOT_ENV", "development"),
            wechat_token=env.get("WECHAT_TOKEN") or DEV_TOKEN,
            wechat_appid=env.get("WECHAT_APPID", ""),
            wechat_aes_key=env.get("WECHAT_AES_KEY", ""),
            admin_token=env.get("BOT_ADMIN_TOKEN", ""),
            knowledge_dir=Path(
                env.get("BOT_KNOWLEDGE_DIR") or PROJECT_ROOT / "knowledge" / "sources"
            ),
            data_dir=Path(env.get("BOT_DATA_DIR") or PROJECT_ROOT / "data"),
            redis_url=env.get("BOT_REDIS_URL", ""),
            replay_window=int(env.get("BOT_REPLAY_WINDOW", "300")),
        )
