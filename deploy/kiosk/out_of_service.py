"""The notice a hall screen shows when the kiosk app failed too often to be restarted
(residents-home-kiosk-down@.service): never a black screen, always words a resident and
a staff member can act on. Standard library only (tkinter), so it works even when the
kiosk's own packages are what broke."""

from __future__ import annotations

import tkinter as tk

RESIDENT = "本机暂停服务"
RESIDENT_HINT = "请到窗口办理，工作人员会帮您取号。"
STAFF_HINT = "工作人员：请在后台“设备”页查看本机，或重启本机。"


def main() -> None:
    root = tk.Tk()
    root.title("居民之家")
    root.attributes("-fullscreen", True)
    root.configure(background="#ffffff", cursor="none")
    width = root.winfo_screenwidth()
    big = max(36, width // 18)
    for text, size, colour in (
        (RESIDENT, big, "#1a1a1a"),
        (RESIDENT_HINT, big // 2, "#1a1a1a"),
        (STAFF_HINT, big // 3, "#444444"),
    ):
        tk.Label(
            root,
            text=text,
            font=("Noto Sans CJK SC", size),
            fg=colour,
            bg="#ffffff",
            wraplength=int(width * 0.85),
        ).pack(pady=big // 3)
    root.mainloop()


if __name__ == "__main__":
    main()
