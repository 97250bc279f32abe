"""Writers of the simulated tenant in Entra's export shapes."""
