from config.api.exceptions import DependencyUnavailable


class ChannelLayerUnavailable(DependencyUnavailable):
    """Redis, as the channel layer, cannot be reached: events are not delivered."""

    code = "channel_layer_unavailable"
    default_detail = "Live updates are unavailable; try again shortly."
    dependency = "channel_layer"
