"""Radio on the player's side: the controller that keeps the queue ahead and never stops.

``controller`` asks the suggesting plugin for picks and keeps the queue filled; ``fallback``
picks by library order when the plugin cannot answer; ``adapters`` connect the controller to the
real queue and history. The composition happens in :mod:`player.app`.
"""
