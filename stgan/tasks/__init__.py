"""Conditional tasks: downscaling, nowcasting and gap filling with a conditioned model.

Each task is a model trained with one data-derived condition (:mod:`stgan.conditioning.kinds`:
``coarse``, ``past``, ``gaps``; presets ``downscaling``, ``nowcasting``, ``gap-filling``) and
a function that reads an input file, standardises it with the checkpoint's transforms, gives
it to the generator as the condition and writes CF NetCDF in physical units:

===========  ==============================  =====================  ==========================
task         function                        command                metric table
===========  ==============================  =====================  ==========================
downscaling  :func:`.downscale.downscale`    ``stgan downscale``    :func:`.scores.downscaling_table`
nowcasting   :func:`.nowcast.nowcast`        ``stgan nowcast``      :func:`.scores.nowcasting_table`
gap filling  :func:`.gaps.fill_gaps`         ``stgan fill-gaps``    :func:`.scores.gap_filling_table`
===========  ==============================  =====================  ==========================

The same are :class:`stgan.Model` methods (``downscale``, ``nowcast``, ``fill_gaps``).
"""
