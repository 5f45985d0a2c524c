"""Page scraping for the Generate API: fetched bytes -> text -> card fields. Pure: the
guarded client (proxy.netguard) fetches; nothing here touches the network."""

from proxy.scrape.decode import decode_html, sniff_encoding
from proxy.scrape.extract import PageMeta, extract, favicon_candidates

__all__ = ["PageMeta", "decode_html", "extract", "favicon_candidates", "sniff_encoding"]
