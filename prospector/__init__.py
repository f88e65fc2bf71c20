"""prospector: outbound referral-ask prospecting, run as a local daemon."""

__version__ = "0.1.0"
