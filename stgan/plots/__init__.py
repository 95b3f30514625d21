"""Pictures of space-time data: animations, Hovmöller diagrams and maps, real vs generated.

Each function takes real and generated data as ``xr.DataArray``, ``xr.Dataset`` or file paths
and returns a matplotlib ``Figure`` (or writes an animation file); ``stgan plot`` wraps them.
"""

from stgan.plots.animation import animate, gif_bytes
from stgan.plots.hovmoller import hovmoller
from stgan.plots.maps import map_plot, maps
from stgan.plots.save import save_figure

__all__ = ["animate", "gif_bytes", "hovmoller", "map_plot", "maps", "save_figure"]
