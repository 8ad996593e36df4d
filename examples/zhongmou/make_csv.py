"""Regenerate Zhongmou's org as CSV files beside this script.

Run: python examples/zhongmou/make_csv.py
"""

from pathlib import Path

from campaignflow.presets.zhongmou import zhongmou_org

if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    for path in zhongmou_org(seed=0).to_csv(here):
        print(path)
