"""Fixed vocabulary of the simulated tenant: Microsoft resources and permissions, user agents,
STS error codes, names. Ids of Microsoft first-party apps, Graph app roles and directory role
templates are the real, published values.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Microsoft's own tenant: ``appOwnerOrganizationId`` of first-party apps.
MICROSOFT_TENANT = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"


@dataclass(frozen=True, slots=True)
class ResourceApp:
    key: str
    app_id: str
    display_name: str


RESOURCES: dict[str, ResourceApp] = {
    r.key: r
    for r in (
        ResourceApp("graph", GRAPH_APP_ID, "Microsoft Graph"),
        ResourceApp("keyvault", "cfa8b339-82a2-471a-a3c9-0fc0be7a4093", "Azure Key Vault"),
        ResourceApp("arm", "797f4846-ba00-4fd7-ba43-dac1f8f63013",
                    "Windows Azure Service Management API"),
        ResourceApp("storage", "e406a681-f3d4-42a8-90b6-c2b029497af1", "Azure Storage"),
        ResourceApp("sql", "022907d3-0f1b-48f7-badc-1ba6abab6d66", "Azure SQL Database"),
        ResourceApp("servicebus", "80a10ef9-8168-493d-abf9-3297c4ef6e3c", "Azure Service Bus"),
        ResourceApp("exchange", "00000002-0000-0ff1-ce00-000000000000",
                    "Office 365 Exchange Online"),
        ResourceApp("sharepoint", "00000003-0000-0ff1-ce00-000000000000",
                    "Office 365 SharePoint Online"),
        ResourceApp("devops", "499b84ac-1321-427f-aa17-267ca6975798", "Azure DevOps"),
        ResourceApp("loganalytics", "ca7f3f0b-7d91-482c-8e09-c5d840d0eac5", "Log Analytics API"),
    )
}

#: Microsoft Graph application permissions (app role value → id).
GRAPH_ROLES: dict[str, str] = {
    "User.Read.All": "df021288-bdef-4463-88db-98f22de89214",
    "Group.Read.All": "5b567255-7703-4780-807c-7be8301ae99b",
    "Directory.Read.All": "7ab1d382-f21e-4acd-a863-ba3e13f7da61",
    "Directory.ReadWrite.All": "19dbc75e-c2e2-444c-a770-ec69d8559fc7",
    "Application.Read.All": "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
    "Application.ReadWrite.All": "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
    "AppRoleAssignment.ReadWrite.All": "06b708a9-e830-4db3-a914-8e69da51d44f",
    "RoleManagement.ReadWrite.Directory": "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8",
    "AuditLog.Read.All": "b0afded3-3588-46d8-8b3d-9842eff778da",
    "Mail.Read": "810c84a8-4a9e-49e6-bf7d-12d183f40d01",
    "Mail.ReadWrite": "e2a3a72e-5f79-4c64-b1b1-878b674786c9",
    "Files.Read.All": "01d4889c-1287-42c6-ac1f-5d1e02578ef6",
    "Files.ReadWrite.All": "75359482-378d-4052-8f01-80520e7db3cd",
    "Sites.Read.All": "332a536c-c7ef-4017-ab91-336970924f0d",
    "User.ReadWrite.All": "741f803b-c850-494e-b5df-cde7c675a1ca",
    "Calendars.Read": "798ee544-9d2d-430c-a058-570e29e34338",
}

#: Directory role display name → role template id.
DIRECTORY_ROLES: dict[str, str] = {
    "Global Administrator": "62e90394-69f5-4237-9190-012177145e10",
    "Privileged Role Administrator": "e8611ab8-c189-46e8-94e1-60213ab1f814",
    "Application Administrator": "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
    "Cloud Application Administrator": "158c047a-c907-4556-b7ef-446551a6b5f7",
}
#: ``wids`` claim of app-only tokens (the default role template of service principals).
APP_ONLY_WIDS = "0997a1d0-0d1d-4acb-b408-d5ca73121e90"

#: Client libraries that workloads sign in with (the HTTP user agent of the token request).
WORKLOAD_UAS: dict[str, str] = {
    "dotnet": "azsdk-net-Identity/1.13.1 (.NET 8.0.8; Microsoft Windows 10.0.20348)",
    "python": "azsdk-python-identity/1.17.1 Python/3.11.9 "
    "(Linux-5.15.0-1071-azure-x86_64-with-glibc2.35)",
    "java": "azsdk-java-azure-identity/1.13.2 (17.0.11; Linux; 5.15.0-1068-azure)",
    "node": "azsdk-js-identity/4.4.1 core-rest-pipeline/1.16.3 Node/v20.15.1 "
    "OS/(x64-Linux-5.15.0-1066-azure)",
    "go": "azsdk-go-azidentity/v1.7.0 (go1.22.5; linux)",
    "azcli": "python/3.11.8 (Linux-6.5.0-1025-azure-x86_64-with-glibc2.35) AZURECLI/2.62.0 (DEB)",
    "terraform": "Go/go1.22.5 (amd64-linux) go-autorest/v14.2.1 Terraform/1.9.2",
    "powershell": "Mozilla/5.0 (Windows NT 10.0; Microsoft Windows 10.0.20348; en-US) "
    "PowerShell/7.4.3",
}
SAAS_UAS = ("Apache-HttpClient/4.5.14 (Java/17.0.10)", "okhttp/4.12.0", "Go-http-client/2.0",
            "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)")
#: What attackers use. The recon tools are documented in the output README.
ATTACKER_UAS = ("python-requests/2.32.3", "curl/8.9.1",
                "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
RECON_UAS = ("azurehound/v2.2.1", "ROADtools roadrecon/1.4.1", "GraphRunner/1.0 PowerShell/7.4.3")

#: STS error codes written into ``status``.
FAILURES: dict[int, str] = {
    7000215: "Invalid client secret provided. Ensure the secret being sent in the request is the "
    "client secret value, not the client secret ID, for a secret added to app '{app_id}'.",
    7000222: "The provided client secret keys for app '{app_id}' are expired. Visit the Azure "
    "portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using "
    "certificate credentials for added security: https://aka.ms/certCreds.",
    700027: "Client assertion failed signature validation.",
    7000112: "Application '{app_id}'({name}) is disabled.",
    50013: "Assertion failed signature validation.",
}

TEAMS = ("billing", "payments", "orders", "inventory", "hr", "crm", "finance", "logistics",
         "reporting", "identity", "marketing", "support", "data", "platform", "security",
         "warehouse", "pricing", "procurement", "legal", "sales")
DAEMON_JOBS = ("sync", "export", "import", "reconciler", "scheduler", "archiver", "notifier",
               "indexer", "backup", "etl", "collector", "cleanup")
PIPELINE_KINDS = ("deploy", "release", "infra", "build", "terraform")
SAAS_VENDORS = (("Zoom", "Zoom Video Communications, Inc."), ("Slack", "Slack Technologies"),
                ("Salesforce", "Salesforce.com"), ("ServiceNow", "ServiceNow, Inc."),
                ("Atlassian Cloud", "Atlassian"), ("DocuSign", "DocuSign, Inc."),
                ("Adobe Acrobat Sign", "Adobe Inc."), ("Workday", "Workday, Inc."),
                ("Datadog", "Datadog, Inc."), ("Miro", "RealtimeBoard Inc."),
                ("Smartsheet", "Smartsheet Inc."), ("Box", "Box, Inc."),
                ("Dropbox", "Dropbox, Inc."), ("HubSpot", "HubSpot, Inc."),
                ("Zendesk", "Zendesk, Inc."), ("Asana", "Asana, Inc."))
MI_RESOURCES = (("func", "Microsoft.Web/sites"), ("app", "Microsoft.Web/sites"),
                ("vm", "Microsoft.Compute/virtualMachines"),
                ("aks", "Microsoft.ContainerService/managedClusters"),
                ("adf", "Microsoft.DataFactory/factories"),
                ("logic", "Microsoft.Logic/workflows"))
RARE_APPS = ("Quarterly Audit Export", "Legacy Fax Gateway", "Year-End Payroll Close",
             "Disaster Recovery Drill", "Annual Access Certification", "Old Intranet Connector",
             "Marketing Bulk Mailer", "Board Portal Sync", "Tax Filing Uploader",
             "Archive Restore Tool")
#: Jobs that run every few days from the cloud (the ``occasional`` archetype).
OCCASIONAL_APPS = ("Supplier Catalog Import", "Backup Verification Job", "Contract Archive Sync",
                   "Price List Publisher", "Fleet Telemetry Export", "Warranty Claims Upload")
#: Newly registered Graph integrations (``newApplication`` changes and the new-app scenario).
NEW_APPS = ("Access Review Automation", "Org Directory Export", "Onboarding Sync",
            "License Usage Collector")
#: The tenant's administrators: authorized to change applications.
ADMINS = (("Anouk de Vries", "anouk.devries"), ("Bram Janssen", "bram.janssen"),
          ("Chen Li", "chen.li"))
USERS = (("Daan Visser", "daan.visser"), ("Eva Bakker", "eva.bakker"),
         ("Femke Smit", "femke.smit"), ("Gijs Mulder", "gijs.mulder"))
