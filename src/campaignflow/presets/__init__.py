"""Ready-made campaigns and demo data.

- :mod:`campaignflow.presets.safety` — a small safety-inspection campaign;
- :mod:`campaignflow.presets.zhongmou` — Zhongmou county's organisation from the seeds.
"""
