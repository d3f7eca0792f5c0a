"""LINE adapter: webhook route, Flex builders, postback data and the push messenger.

Everything that imports `linebot` lives here; the domain stays in handlers/.
"""
