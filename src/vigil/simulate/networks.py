"""The networks simulated traffic comes from: cloud regions, ISPs and VPS providers.

Each :class:`Network` is a real provider's address block with the country and ASN that the
GeoLite2-based ``geoip2fast`` data assigns to it (checked when this table was written), so offline
enrichment of the output agrees with the ``location`` and ``autonomousSystemNumber`` written into
the records. Cities and coordinates are the provider's usual point of presence.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from vigil.simulate.rand import Rand


@dataclass(frozen=True, slots=True)
class Network:
    key: str
    provider: str
    asn: int
    asn_org: str
    hosting: bool
    country: str
    state: str
    city: str
    lat: float
    lon: float
    cidrs: tuple[str, ...]
    #: Azure region display name, for Graph activity ``Location`` (serving region) and MI resources.
    region: str | None = None
    location: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        loc = {
            "city": self.city,
            "state": self.state,
            "countryOrRegion": self.country,
            "geoCoordinates": {"altitude": None, "latitude": self.lat, "longitude": self.lon},
        }
        object.__setattr__(self, "location", loc)

    def ip(self, rng: Rand, cidr_index: int | None = None) -> str:
        """A host address from one of the network's blocks (``cidr_index`` or a random one)."""
        idx = rng.randrange(len(self.cidrs)) if cidr_index is None else cidr_index
        net = ipaddress.ip_network(self.cidrs[idx])
        span = min(net.num_addresses - 2, 1 << 20)
        return str(net.network_address + 1 + rng.randrange(span))

    def ips(self, rng: Rand, n: int, cidr_index: int | None = None) -> tuple[str, ...]:
        """``n`` distinct addresses (sorted by first draw)."""
        found: dict[str, None] = {}
        while len(found) < n:
            found[self.ip(rng, cidr_index)] = None
        return tuple(found)


def _n(*args: Any, **kwargs: Any) -> Network:
    return Network(*args, **kwargs)


MS, AMZ, AMZ_AES, GCP = "MICROSOFT-CORP-MSN-AS-BLOCK", "AMAZON-02", "AMAZON-AES", "GOOGLE-CLOUD-PLATFORM"

NETWORKS: dict[str, Network] = {
    n.key: n
    for n in (
        # Azure regions (AS8075)
        _n("azure-westeurope", "Microsoft Azure", 8075, MS, True, "NL", "Noord-Holland",
           "Amsterdam", 52.3667, 4.9, ("20.50.0.0/18", "20.61.0.0/16", "40.74.0.0/19",
                                       "4.175.0.0/16", "20.82.0.0/17", "52.174.0.0/16"),
           "West Europe"),
        _n("azure-northeurope", "Microsoft Azure", 8075, MS, True, "IE", "Leinster", "Dublin",
           53.3478, -6.2597, ("20.54.0.0/17", "52.164.0.0/17", "20.105.0.0/17", "4.207.0.0/16"),
           "North Europe"),
        _n("azure-eastus", "Microsoft Azure", 8075, MS, True, "US", "Virginia", "Boydton",
           36.6676, -78.3875, ("20.42.0.0/17", "4.148.0.0/14", "20.57.0.0/16", "40.84.0.0/16",
                               "172.176.0.0/13", "4.227.0.0/16"), "East US"),
        _n("azure-germanywestcentral", "Microsoft Azure", 8075, MS, True, "DE", "Hesse",
           "Frankfurt am Main", 50.1109, 8.6821, ("20.113.0.0/16", "20.79.0.0/16"),
           "Germany West Central"),
        _n("azure-uksouth", "Microsoft Azure", 8075, MS, True, "GB", "England", "London",
           51.5072, -0.1276, ("51.132.0.0/15", "51.104.0.0/18", "20.26.0.0/16"), "UK South"),
        # Other clouds
        _n("aws-eu-central-1", "Amazon Web Services", 16509, AMZ, True, "DE", "Hesse",
           "Frankfurt am Main", 50.1109, 8.6821, ("18.192.0.0/13", "52.58.0.0/15",
                                                  "35.156.0.0/14")),
        _n("aws-eu-west-1", "Amazon Web Services", 16509, AMZ, True, "IE", "Leinster", "Dublin",
           53.3478, -6.2597, ("3.248.0.0/13", "52.16.0.0/14")),
        _n("aws-us-east-1", "Amazon Web Services", 14618, AMZ_AES, True, "US", "Virginia",
           "Ashburn", 39.0438, -77.4874, ("3.80.0.0/12", "2600:1f18::/33")),
        _n("aws-us-west-2", "Amazon Web Services", 16509, AMZ, True, "US", "Oregon", "Boardman",
           45.8399, -119.7006, ("44.224.0.0/11",)),
        _n("gcp-us", "Google Cloud", 396982, GCP, True, "US", "Iowa", "Council Bluffs", 41.2619,
           -95.8608, ("34.102.0.0/16", "35.186.0.0/17", "34.120.0.0/14")),
        _n("gcp-europe-west2", "Google Cloud", 396982, GCP, True, "GB", "England", "London",
           51.5072, -0.1276, ("34.89.0.0/20",)),
        _n("salesforce-us", "Salesforce", 14340, "SALESFORCE", True, "US", "California",
           "San Francisco", 37.7749, -122.4194, ("13.108.0.0/23",)),
        # Office networks (not hosting)
        _n("kpn-nl", "KPN", 1136, "KPN B.V.", False, "NL", "Zuid-Holland", "Rotterdam", 51.9244,
           4.4777, ("77.160.0.0/15", "86.80.0.0/13", "145.52.0.0/15")),
        _n("vodafone-nl", "Vodafone Libertel", 33915, "Vodafone Libertel B.V.", False, "NL",
           "Utrecht", "Utrecht", 52.0907, 5.1214, ("84.104.0.0/14", "94.208.0.0/15")),
        # VPS and anonymising providers (attacker infrastructure)
        _n("digitalocean-de", "DigitalOcean", 14061, "DIGITALOCEAN-ASN", True, "DE", "Hesse",
           "Frankfurt am Main", 50.1109, 8.6821, ("159.89.0.0/19", "2a03:b0c0:3:d0::/64")),
        _n("digitalocean-in", "DigitalOcean", 14061, "DIGITALOCEAN-ASN", True, "IN", "Karnataka",
           "Bengaluru", 12.9719, 77.5937, ("139.59.0.0/18",)),
        _n("digitalocean-us", "DigitalOcean", 14061, "DIGITALOCEAN-ASN", True, "US",
           "New Jersey", "North Bergen", 40.8043, -74.0121, ("167.99.0.0/20", "137.184.0.0/19")),
        _n("hetzner-fi", "Hetzner", 24940, "Hetzner Online GmbH", True, "FI", "Uusimaa",
           "Helsinki", 60.1699, 24.9384, ("95.216.0.0/16",)),
        _n("hetzner-de", "Hetzner", 24940, "Hetzner Online GmbH", True, "DE", "Bavaria",
           "Nuremberg", 49.4521, 11.0767, ("49.12.0.0/16", "2a01:4f8:8000::/33")),
        _n("ovh-gb", "OVH", 16276, "OVH SAS", True, "GB", "England", "London", 51.5072, -0.1276,
           ("51.68.0.0/22",)),
        _n("vultr-us", "Vultr", 20473, "AS-CHOOPA", True, "US", "New Jersey", "Piscataway",
           40.5549, -74.4643, ("45.77.0.0/21", "149.248.0.0/22")),
        _n("scaleway-fr", "Scaleway", 12876, "Scaleway S.a.s.", True, "FR", "Ile-de-France",
           "Paris", 48.8566, 2.3522, ("51.15.0.0/23", "62.210.0.0/21")),
        _n("tor-de", "Tor exit (torservers.net)", 60729, "Stiftung Erneuerbare Freiheit", True,
           "DE", "Berlin", "Berlin", 52.52, 13.405, ("185.220.101.0/26",)),
        _n("medialand-ru", "Media Land", 206728, "Media Land LLC", True, "RU", "Moscow",
           "Moscow", 55.7558, 37.6173, ("194.26.29.0/24",)),
        _n("stark-bg", "Stark Industries", 44477, "Stark Industries Solutions Ltd", True, "BG",
           "Sofia-Capital", "Sofia", 42.6977, 23.3219, ("45.95.0.0/22",)),
        _n("neterra-ro", "Neterra", 34224, "Neterra Ltd.", True, "RO", "Bucuresti",
           "Bucharest", 44.4268, 26.1025, ("91.92.1.0/24",)),
    )
}

#: Where the simulated tenant runs its own workloads.
HOME_CLOUD = ("azure-westeurope", "azure-westeurope", "azure-westeurope", "aws-eu-central-1")
#: GitHub-hosted Actions runners run in Azure US regions.
RUNNERS = "azure-eastus"
SAAS_CLOUDS = ("aws-us-east-1", "aws-us-west-2", "gcp-us", "aws-eu-west-1", "gcp-europe-west2",
               "salesforce-us")
OFFICE = ("kpn-nl", "vodafone-nl")
VPS = ("digitalocean-de", "digitalocean-in", "digitalocean-us", "hetzner-fi", "hetzner-de",
       "ovh-gb", "vultr-us", "scaleway-fr", "neterra-ro")
HOSTILE = ("tor-de", "medialand-ru", "stark-bg")


def net(key: str) -> Network:
    return NETWORKS[key]
