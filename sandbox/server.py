"""The emulated AWS account's server: moto (the version Pipfile.lock pins) in server mode on 127.0.0.1.

    python -m sandbox.server <port>      # serves until killed; GET /moto-api/ answers once it is up

moto is used as it is, with the settings below, corrections where moto 5.2.5 lacks an API the stacks use or answers
unlike AWS, and one stand-in (a container's exit code), each with its reason and the AWS page it follows. What moto cannot do at all is in sandbox/allowlist.toml.
"""

from __future__ import annotations

import inspect
import io
import json
import os
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from sandbox import bucket_policies

SETTINGS = {
    # The AWS managed policies (AmazonRDSEnhancedMonitoringRole, ...) exist in every real account; moto loads them
    # only when asked. Without them the monitoring role's policy attachment fails with NoSuchEntity.
    "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
    # A requested ACM certificate is ISSUED once validated; moto validates after this many seconds (default 60).
    "MOTO_ACM_VALIDATION_WAIT": "0",
}
TRANSITIONS = {
    # moto moves a task RUNNING -> DEACTIVATING -> STOPPING -> DEPROVISIONING -> STOPPED by one step per
    # DescribeTasks; a real migration runs for seconds to minutes. Immediate: the migration script's waiter sees it
    # stopped on its first poll instead of after three of its 15 s delays. moto runs no container: its exit code is
    # moto's constant 0 (allowlist: the migration's exit code).
    "ecs::task": {"progression": "immediate"},
}


def _add_application_autoscaling_tags() -> None:
    """Application Auto Scaling's TagResource, UntagResource and ListTagsForResource, and RegisterScalableTarget's
    Tags, which moto 5.2.5 does not implement. The provider reads a scalable target's tags after creating it (the
    stacks' default_tags tag everything) and retries moto's 500 answer for many minutes: the target looks stuck
    "Still creating...". These keep the tags as the API documents them, per scalable target ARN
    (docs.aws.amazon.com/autoscaling/application/APIReference/API_ListTagsForResource.html)."""
    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse

    tags: dict[str, dict[str, str]] = {}
    register = ApplicationAutoScalingResponse.register_scalable_target

    def register_scalable_target(self: Any) -> str:
        body = register(self)
        tags.setdefault(json.loads(body)["ScalableTargetARN"], {}).update(self._get_param("Tags") or {})
        return body

    def tag_resource(self: Any) -> str:
        tags.setdefault(self._get_param("ResourceARN"), {}).update(self._get_param("Tags") or {})
        return "{}"

    def untag_resource(self: Any) -> str:
        kept = tags.get(self._get_param("ResourceARN"), {})
        for key in self._get_param("TagKeys") or []:
            kept.pop(key, None)
        return "{}"

    def list_tags_for_resource(self: Any) -> str:
        return json.dumps({"Tags": tags.get(self._get_param("ResourceARN"), {})})

    ApplicationAutoScalingResponse.register_scalable_target = register_scalable_target  # type: ignore[method-assign]
    for method in (tag_resource, untag_resource, list_tags_for_resource):
        setattr(ApplicationAutoScalingResponse, method.__name__, method)


def _unique_dbi_resource_ids() -> None:
    """moto 5.2.5 gives every DB instance the same DbiResourceId (db-M5ENSHXFPU6XHZ4G4ZEI5QIO2U). The provider reads an
    instance back by that id (DescribeDBInstances filtered by dbi-resource-id) and expects exactly one: with a second
    instance in the account (two environments) it finds two, takes the instance for missing and waits until its
    40-minute create timeout. In AWS the id is unique per instance ("The AWS Region-unique, immutable identifier for
    the DB instance", docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBInstance.html); here each instance gets
    a random one of the same form."""
    import secrets
    import string

    from moto.rds.models import DBInstance

    create = DBInstance.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        create(self, *args, **kwargs)
        self.dbi_resource_id = "db-" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(26))

    DBInstance.__init__ = init  # type: ignore[method-assign]


def _add_backup_selections() -> None:
    """AWS Backup's CreateBackupSelection, GetBackupSelection, ListBackupSelections and DeleteBackupSelection, which
    moto 5.2.5 does not implement (production's aws_backup_selection), and its ListTags read right. Kept per backup plan as the API documents
    them (docs.aws.amazon.com/aws-backup/latest/devguide/API_CreateBackupSelection.html, API_GetBackupSelection.html):
    the selection as given, its id, the plan's id, a creation date."""
    import time
    import uuid
    from urllib.parse import unquote

    from moto.backup.exceptions import ResourceNotFoundException
    from moto.backup.responses import BackupResponse

    selections: dict[str, dict[str, dict[str, Any]]] = {}

    def ids(self: Any) -> tuple[str, str]:
        plan, _, selection = self.path.split("/plans/")[-1].partition("/selections")
        return plan.strip("/"), selection.strip("/")

    def create_backup_selection(self: Any) -> str:
        plan, _ = ids(self)
        body = json.loads(self.body)
        selection_id = str(uuid.uuid4())
        created = {"SelectionId": selection_id, "BackupPlanId": plan, "CreationDate": time.time()}
        selections.setdefault(plan, {})[selection_id] = {**created, "BackupSelection": body["BackupSelection"],
                                                         "CreatorRequestId": body.get("CreatorRequestId")}  # fmt: skip
        return json.dumps(created)

    def get_backup_selection(self: Any) -> str:
        plan, selection_id = ids(self)
        if selection_id not in selections.get(plan, {}):
            raise ResourceNotFoundException(f"Selection {selection_id} not found")
        return json.dumps(selections[plan][selection_id])

    def list_backup_selections(self: Any) -> str:
        plan, _ = ids(self)
        listed = [{**{k: v for k, v in item.items() if k != "BackupSelection"}, "SelectionName": item["BackupSelection"]["SelectionName"],
                   "IamRoleArn": item["BackupSelection"]["IamRoleArn"]} for item in selections.get(plan, {}).values()]  # fmt: skip
        return json.dumps({"BackupSelectionsList": listed})

    def delete_backup_selection(self: Any) -> str:
        plan, selection_id = ids(self)
        selections.get(plan, {}).pop(selection_id, None)
        return "{}"

    def list_tags(self: Any) -> str:
        """moto takes the next-to-last path segment for the ARN, which holds only with a trailing slash (boto3 sends
        one, the provider's Go SDK does not): the provider found no tags and planned to add them on every apply."""
        arn = unquote(self.path.split("/tags/", 1)[1].strip("/"))
        return json.dumps({"Tags": self.backup_backend.list_tags(resource_arn=arn)})

    for method in (create_backup_selection, get_backup_selection, list_backup_selections, delete_backup_selection, list_tags):
        setattr(BackupResponse, method.__name__, method)


def _found(items: dict[str, dict[str, Any]], name: str, what: str) -> dict[str, Any]:
    """``items[name]``, or AWS Backup's ResourceNotFoundException naming ``what``."""
    from moto.backup.exceptions import ResourceNotFoundException

    if name not in items:
        raise ResourceNotFoundException(f"{what} not found")
    return items[name]


def _absent(items: dict[str, dict[str, Any]], name: str, what: str) -> None:
    """AWS Backup's AlreadyExistsException naming ``what`` when ``items`` holds ``name`` (a create sent twice)."""
    from moto.core.exceptions import JsonRESTError

    if name in items:
        raise JsonRESTError("AlreadyExistsException", f"{what} already exists")


def _add_restore_testing() -> None:
    """AWS Backup's restore testing plans and selections (CreateRestoreTestingPlan, Get..., Update..., Delete..., and
    the same for selections), which moto 5.2.5 does not implement (production's aws_backup_restore_testing_plan and
    _selection). Kept as the API documents them (docs.aws.amazon.com/aws-backup/latest/devguide/
    API_CreateRestoreTestingPlan.html, API_GetRestoreTestingPlan.html, API_CreateRestoreTestingSelection.html,
    API_GetRestoreTestingSelection.html): what was sent, its name and ARN, creation and update times; the plan's tags in
    moto's own tag store; a plan with selections cannot be deleted (ConflictException, as in AWS). No restore job ever
    runs here (allowlist: restore tests). Each account and Region keeps its own, as in AWS."""
    import time
    import uuid
    from urllib.parse import unquote

    from moto.backup import urls
    from moto.backup.responses import BackupResponse
    from moto.core.exceptions import JsonRESTError

    stores: dict[tuple[str, str], tuple[dict[str, dict[str, Any]], dict[str, dict[str, dict[str, Any]]]]] = {}

    def store(self: Any) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, dict[str, Any]]]]:  # plans, selections
        return stores.setdefault((self.current_account, self.region), ({}, {}))

    urls.url_paths["{0}/restore-testing/plans/?$"] = BackupResponse.dispatch
    urls.url_paths["{0}/restore-testing/plans/(?P<name>.+)$"] = BackupResponse.dispatch

    def names(self: Any) -> tuple[str, str]:
        plan, _, selection = self.path.split("/restore-testing/plans", 1)[1].strip("/").partition("/selections")
        return unquote(plan), unquote(selection.strip("/"))

    def plan_of(self: Any, name: str) -> dict[str, Any]:
        return _found(store(self)[0], name, f"Restore testing plan {name}")

    def create_restore_testing_plan(self: Any) -> str:
        body = json.loads(self.body)
        plan = body["RestoreTestingPlan"]
        name = plan["RestoreTestingPlanName"]
        _absent(store(self)[0], name, f"Restore testing plan {name}")
        arn = f"arn:aws:backup:{self.region}:{self.current_account}:restore-testing-plan:{name}-{uuid.uuid4()}"
        now = time.time()
        store(self)[0][name] = {"StartWindowHours": 24, "ScheduleExpressionTimezone": "Etc/UTC", **plan, "RestoreTestingPlanArn": arn,
                       "CreationTime": now, "LastUpdateTime": now, "CreatorRequestId": body.get("CreatorRequestId")}  # fmt: skip
        self.backup_backend.tag_resource(arn, body.get("Tags") or {})
        return json.dumps({"CreationTime": now, "RestoreTestingPlanArn": arn, "RestoreTestingPlanName": name})

    def get_restore_testing_plan(self: Any) -> str:
        return json.dumps({"RestoreTestingPlan": plan_of(self, names(self)[0])})

    def update_restore_testing_plan(self: Any) -> str:
        plan = plan_of(self, names(self)[0])
        plan.update(json.loads(self.body)["RestoreTestingPlan"], LastUpdateTime=time.time())
        return json.dumps({key: plan[key] for key in ("CreationTime", "RestoreTestingPlanArn", "RestoreTestingPlanName")}
                          | {"UpdateTime": plan["LastUpdateTime"]})  # fmt: skip

    def delete_restore_testing_plan(self: Any) -> str:
        name = names(self)[0]
        plan_of(self, name)
        if store(self)[1].get(name):
            raise JsonRESTError("ConflictException", f"Restore testing plan {name} has selections; delete them first")
        del store(self)[0][name]
        return "{}"

    def selection_of(self: Any, plan: str, name: str) -> dict[str, Any]:
        return _found(store(self)[1].get(plan, {}), name, f"Restore testing selection {name} of plan {plan}")

    def create_restore_testing_selection(self: Any) -> str:
        plan = plan_of(self, names(self)[0])
        body = json.loads(self.body)
        selection = body["RestoreTestingSelection"]
        name, now = selection["RestoreTestingSelectionName"], time.time()
        _absent(store(self)[1].get(plan["RestoreTestingPlanName"], {}), name, f"Restore testing selection {name}")
        store(self)[1].setdefault(plan["RestoreTestingPlanName"], {})[name] = {
            "ValidationWindowHours": 0, **selection, "RestoreTestingPlanName": plan["RestoreTestingPlanName"],
            "CreationTime": now, "CreatorRequestId": body.get("CreatorRequestId"),
        }  # fmt: skip
        return json.dumps({"CreationTime": now, "RestoreTestingPlanArn": plan["RestoreTestingPlanArn"],
                           "RestoreTestingPlanName": plan["RestoreTestingPlanName"], "RestoreTestingSelectionName": name})  # fmt: skip

    def get_restore_testing_selection(self: Any) -> str:
        return json.dumps({"RestoreTestingSelection": selection_of(self, *names(self))})

    def update_restore_testing_selection(self: Any) -> str:
        plan, name = names(self)
        (selection := selection_of(self, plan, name)).update(json.loads(self.body)["RestoreTestingSelection"])
        return json.dumps({"CreationTime": selection["CreationTime"], "RestoreTestingPlanArn": plan_of(self, plan)["RestoreTestingPlanArn"],
                           "RestoreTestingPlanName": plan, "RestoreTestingSelectionName": name, "UpdateTime": time.time()})  # fmt: skip

    def delete_restore_testing_selection(self: Any) -> str:
        plan, name = names(self)
        selection_of(self, plan, name)
        del store(self)[1][plan][name]
        return "{}"

    for method in (
        create_restore_testing_plan, get_restore_testing_plan, update_restore_testing_plan, delete_restore_testing_plan,
        create_restore_testing_selection, get_restore_testing_selection, update_restore_testing_selection,
        delete_restore_testing_selection,
    ):  # fmt: skip
        setattr(BackupResponse, method.__name__, method)


def _add_test_event_pattern() -> None:
    """EventBridge's TestEventPattern, which moto 5.2.5 leaves unimplemented (its handler answers nothing). Answered
    with moto's own matcher, the one it routes PutEvents to rules with, after AWS's checks: the pattern must parse as
    an event pattern, and the event must carry the fields AWS makes mandatory ("id, account, source, time, region,
    resources, detail-type": docs.aws.amazon.com/eventbridge/latest/APIReference/API_TestEventPattern.html; the
    emulator answers a missing one with ValidationException naming it). What AWS's own matcher decides is shown only in
    a real account (allowlist: restore tests)."""
    from moto.core.exceptions import JsonRESTError
    from moto.events.models import EventPattern, EventPatternParser
    from moto.events.responses import EventsHandler

    mandatory = ("id", "account", "source", "time", "region", "resources", "detail-type")

    def test_event_pattern(self: Any) -> str:
        raw = self._get_param("EventPattern")
        pattern = EventPatternParser(raw).parse()  # InvalidEventPatternException, as AWS answers
        event = json.loads(self._get_param("Event"))
        missing = [name for name in mandatory if name not in event]
        if missing:
            raise JsonRESTError("ValidationException", f"Event is missing the mandatory fields {', '.join(missing)}")
        return json.dumps({"Result": EventPattern(raw, pattern).matches_event(event)})

    EventsHandler.test_event_pattern = test_event_pattern  # type: ignore[method-assign,assignment]


def _add_pull_through_cache_rules() -> None:
    """ECR's CreatePullThroughCacheRule, DescribePullThroughCacheRules and DeletePullThroughCacheRule, which moto
    5.2.5 does not implement (the sidecars' aws_ecr_pull_through_cache_rule). Kept per Region as the API documents
    them (docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreatePullThroughCacheRule.html,
    API_DescribePullThroughCacheRules.html): the prefix, the upstream registry URL, the registry id and a creation time;
    a second rule of a prefix is refused. No image is ever pulled through (allowlist: sidecars)."""
    import time

    from moto.core.exceptions import JsonRESTError
    from moto.ecr.responses import ECRResponse

    rules: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}

    def of(self: Any) -> dict[str, dict[str, Any]]:
        return rules.setdefault((self.current_account, self.region), {})

    def create_pull_through_cache_rule(self: Any) -> str:
        prefix = self._get_param("ecrRepositoryPrefix")
        if prefix in of(self):
            raise JsonRESTError(
                "PullThroughCacheRuleAlreadyExistsException", f"A pull through cache rule with prefix {prefix} already exists"
            )
        rule = {
            "ecrRepositoryPrefix": prefix,
            "upstreamRegistryUrl": self._get_param("upstreamRegistryUrl"),
            "registryId": self.current_account,
            "createdAt": time.time(),
            **({"credentialArn": self._get_param("credentialArn")} if self._get_param("credentialArn") else {}),
        }
        of(self)[prefix] = rule
        return json.dumps(rule)

    def describe_pull_through_cache_rules(self: Any) -> str:
        prefixes = self._get_param("ecrRepositoryPrefixes")
        missing = [prefix for prefix in prefixes or [] if prefix not in of(self)]
        if missing:
            raise JsonRESTError("PullThroughCacheRuleNotFoundException", f"No pull through cache rule with prefix {missing[0]}")
        return json.dumps({"pullThroughCacheRules": [rule for prefix, rule in of(self).items() if not prefixes or prefix in prefixes]})

    def delete_pull_through_cache_rule(self: Any) -> str:
        prefix = self._get_param("ecrRepositoryPrefix")
        if prefix not in of(self):
            raise JsonRESTError("PullThroughCacheRuleNotFoundException", f"No pull through cache rule with prefix {prefix}")
        return json.dumps(of(self).pop(prefix))

    for method in (create_pull_through_cache_rule, describe_pull_through_cache_rules, delete_pull_through_cache_rule):
        setattr(ECRResponse, method.__name__, method)


def _fargate_containers_without_memory() -> None:
    """moto 5.2.5's RunTask adds up the containers' memory and fails (500, a TypeError) on a container without one.
    On Fargate the task's memory is what counts and a container's memory is optional ("If using the Fargate launch
    type, this parameter is optional", docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html,
    Memory); the migration task, like the service, sets it on the task only. Here a missing container memory counts
    as 0, as a missing CPU already does in moto."""
    from moto.ecs.models import EC2ContainerServiceBackend

    calculate = EC2ContainerServiceBackend._calculate_task_resource_requirements

    def requirements(task_definition: Any) -> Any:
        containers = task_definition.container_definitions
        filled = [c if {"memory", "memoryReservation", "Memory", "MemoryReservation"} & set(c) else {**c, "memory": 0} for c in containers]
        task_definition.container_definitions = filled
        try:
            return calculate(task_definition)
        finally:
            task_definition.container_definitions = containers

    EC2ContainerServiceBackend._calculate_task_resource_requirements = staticmethod(requirements)  # type: ignore[method-assign]


def _ecs_services_keep_their_settings() -> None:
    """moto 5.2.5's CreateService keeps a few of the request's fields and drops the rest (capacity provider strategy,
    health check grace period, managed tags, ECS Exec, deployment configuration, zone rebalancing), and reports launch
    type EC2 for a service that has a capacity provider strategy, and has no createdAt. The provider reads them back after the create, finds
    them changed and plans to replace the service on every apply. DescribeServices returns what CreateService was given
    (docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Service.html); here the service keeps every field of the
    request under the name DescribeServices answers with (UpdateService already does)."""
    from botocore import xform_name
    from moto.core.utils import utcnow
    from moto.ecs.responses import EC2ContainerServiceResponse

    create = EC2ContainerServiceResponse.create_service
    handled = {"cluster", "serviceName", "taskDefinition", "desiredCount", "tags", "clientToken", "role"}

    def create_service(self: Any) -> Any:
        result: Any = create(self)
        service = result.result["service"]
        service.launch_type = self._get_param("launchType")  # none with a capacity provider strategy, as in AWS
        service.created_at = utcnow()  # AWS's Service has createdAt (API_Service.html); moto 5.2.5 keeps none
        for key, value in self._get_params().items():
            if key not in handled:
                setattr(service, xform_name(key), value)
        return result

    EC2ContainerServiceResponse.create_service = create_service  # type: ignore[method-assign]


def _starts_deployment(backend: Any, service_properties: dict[str, Any]) -> bool:
    """Whether an UpdateService starts a deployment: a new task definition, load balancers, or force_new_deployment
    (docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html)."""
    before = backend._get_service(service_properties.get("cluster", "default"), service_properties["service"].split("/")[-1])
    return (
        service_properties.get("task_definition") not in (None, before.task_definition)
        or service_properties.get("load_balancers") is not None
        or bool(service_properties.get("force_new_deployment"))
    )


def _traffic_shifts_swap_the_target_groups() -> None:
    """What ECS does in a canary, linear or blue/green deployment that moto 5.2.5 does not: the new revision starts in
    the target group that is not serving, the production rule's forward weights move to it (the infrastructure role's
    ModifyRule: all traffic there once the deployment succeeded), and from then on DescribeServices reports it as the
    service's target group and the former one as the alternate (docs.aws.amazon.com/AmazonECS/latest/developerguide/
    blue-green-deployment-how-it-works.html; the swap: hashicorp/terraform-provider-aws#45678). The 5.100.0 provider
    sends no advanced configuration (provider.py), so a traffic-shifting service is known here by its listener rule:
    one that forwards to the service's target group and exactly one other. Every UpdateService that starts a
    deployment (a task definition, load balancers, or force_new_deployment) completes one at once, successfully."""
    from moto.ecs.models import EC2ContainerServiceBackend
    from moto.elbv2.models import elbv2_backends

    update = EC2ContainerServiceBackend.update_service

    def shifted_rule(backend: Any, target_group_arn: str) -> Any:
        elbv2 = elbv2_backends[backend.account_id][backend.region_name]
        for balancer in elbv2.load_balancers.values():
            for listener in balancer.listeners.values():
                for rule in listener.rules.values():
                    for action in rule.actions:
                        groups = action.data.get("ForwardConfig", {}).get("TargetGroups", [])
                        if len(groups) == 2 and target_group_arn in [group["TargetGroupArn"] for group in groups]:
                            yield groups

    def update_service(self: Any, service_properties: dict[str, Any]) -> Any:
        deploys = _starts_deployment(self, service_properties)
        service = update(self, service_properties)
        balancers = service.load_balancers or []
        if deploys and len(balancers) == 1 and balancers[0].get("targetGroupArn"):
            live = balancers[0]["targetGroupArn"]
            for groups in shifted_rule(self, live):
                [standby] = [group["TargetGroupArn"] for group in groups if group["TargetGroupArn"] != live]
                for group in groups:
                    group["Weight"] = 100 if group["TargetGroupArn"] == standby else 0
                service.load_balancers = [{**balancers[0], "targetGroupArn": standby}]
        return service

    EC2ContainerServiceBackend.update_service = update_service  # type: ignore[method-assign]


def _service_deployments() -> None:
    """ECS's ListServiceDeployments and DescribeServiceDeployments, which moto 5.2.5 does not implement (HTTP 500):
    `pipenv run rollback` and the report after a failed service apply (release/deployment.py) read them. Each
    CreateService, and each UpdateService that starts a deployment (as in _traffic_shifts_swap_the_target_groups),
    records one service deployment, SUCCESSFUL at once as moto's deployments are (allowlist: the deployment strategy),
    with the fields those commands read (docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeployment.html,
    API_ServiceDeploymentBrief.html); the list filters by status as ListServiceDeployments does."""
    import time
    import uuid

    from moto.ecs.models import EC2ContainerServiceBackend
    from moto.ecs.responses import EC2ContainerServiceResponse

    deployments: dict[str, list[dict[str, Any]]] = {}  # service ARN -> its service deployments, oldest first
    create, update = EC2ContainerServiceBackend.create_service, EC2ContainerServiceBackend.update_service

    def record(backend: Any, service: Any) -> None:
        cluster = service.cluster_arn.rsplit("/", 1)[-1]
        prefix = f"arn:aws:ecs:{backend.region_name}:{backend.account_id}"
        now = time.time()
        identifier = uuid.uuid4().hex[:20]
        deployments.setdefault(service.arn, []).append(
            {
                "serviceDeploymentArn": f"{prefix}:service-deployment/{cluster}/{service.name}/{identifier}",
                "serviceArn": service.arn,
                "clusterArn": service.cluster_arn,
                "createdAt": now,
                "startedAt": now,
                "finishedAt": now,
                "status": "SUCCESSFUL",
                "targetServiceRevision": {"arn": f"{prefix}:service-revision/{cluster}/{service.name}/{identifier}"},
            }
        )

    def create_service(self: Any, *args: Any, **kwargs: Any) -> Any:
        service = create(self, *args, **kwargs)
        record(self, service)
        return service

    def update_service(self: Any, service_properties: dict[str, Any]) -> Any:
        deploys = _starts_deployment(self, service_properties)
        service = update(self, service_properties)
        if deploys:
            record(self, service)
        return service

    def list_service_deployments(self: Any) -> str:
        service = self.ecs_backend._get_service(self._get_param("cluster", "default"), self._get_param("service").split("/")[-1])
        statuses = self._get_param("status") or []
        briefs = [
            {
                **{key: value for key, value in item.items() if key != "targetServiceRevision"},
                "targetServiceRevisionArn": item["targetServiceRevision"]["arn"],
            }
            for item in deployments.get(service.arn, [])
            if not statuses or item["status"] in statuses
        ]
        return json.dumps({"serviceDeployments": briefs})

    def describe_service_deployments(self: Any) -> str:
        wanted = self._get_param("serviceDeploymentArns") or []
        found = {item["serviceDeploymentArn"]: item for items in deployments.values() for item in items}
        return json.dumps(
            {
                "serviceDeployments": [found[arn] for arn in wanted if arn in found],
                "failures": [{"arn": arn, "reason": "MISSING"} for arn in wanted if arn not in found],
            }
        )

    EC2ContainerServiceBackend.create_service = create_service  # type: ignore[method-assign]
    EC2ContainerServiceBackend.update_service = update_service  # type: ignore[method-assign]
    EC2ContainerServiceResponse.list_service_deployments = list_service_deployments  # type: ignore[attr-defined]
    EC2ContainerServiceResponse.describe_service_deployments = describe_service_deployments  # type: ignore[attr-defined]


def _orderable_postgresql_classes() -> None:
    """moto 5.2.5 answers DescribeOrderableDBInstanceOptions only for Aurora PostgreSQL and Neptune: for "postgres" it
    answers none, and `pipenv run preflight` would find no class offered. Here every class of the project's table of
    classes RDS for PostgreSQL runs on (stacks/rules.py RDS_POSTGRESQL_CLASSES, from AWS's pages) is offered in a VPC
    for each major version the configuration accepts, filtered by DBInstanceClass as AWS filters
    (docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeOrderableDBInstanceOptions.html). Which classes a
    Region really offers only a real account shows (allowlist: instance class offerings)."""
    from typing import get_args, get_type_hints

    from moto.rds.responses import RDSResponse

    from stacks.config import EnvironmentConfig
    from stacks.rules import RDS_POSTGRESQL_CLASSES

    majors = get_args(get_type_hints(EnvironmentConfig)["db_engine_version"])
    describe = RDSResponse.describe_orderable_db_instance_options

    def describe_orderable_db_instance_options(self: Any) -> Any:
        if self.params.get("Engine") != "postgres":
            return describe(self)
        from moto.core.responses import ActionResult

        wanted = self.params.get("DBInstanceClass")
        classes = sorted(RDS_POSTGRESQL_CLASSES if wanted is None else RDS_POSTGRESQL_CLASSES & {wanted})
        options = [
            {"Engine": "postgres", "EngineVersion": f"{major}.1", "DBInstanceClass": name, "Vpc": True, "MultiAZCapable": True}
            for name in classes
            for major in majors
        ]
        return ActionResult({"OrderableDBInstanceOptions": options})

    RDSResponse.describe_orderable_db_instance_options = describe_orderable_db_instance_options  # type: ignore[method-assign]


def _security_group_rule_descriptions() -> None:
    """moto 5.2.5 keeps a security group rule's description only for CIDR rules; for a rule naming a security group
    or a prefix list it answers none, and the provider plans to add the description again on every apply. AWS keeps it
    for every rule (docs.aws.amazon.com/AWSEC2/latest/APIReference/API_SecurityGroupRule.html, Description)."""
    from moto.ec2.models.security_groups import SecurityGroupRule

    create = SecurityGroupRule.__init__
    parameters = inspect.signature(create)

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        create(self, *args, **kwargs)
        prefix_list = parameters.bind(self, *args, **kwargs).arguments.get("prefix_list_id") or {}
        self.other_description = (self.source_group or {}).get("Description") or prefix_list.get("Description")

    SecurityGroupRule.__init__ = init  # type: ignore[method-assign]
    SecurityGroupRule.description = property(lambda self: self.ip_range.get("Description") or getattr(self, "other_description", None))  # type: ignore[method-assign,assignment]


def _endpoint_service_name_filters() -> None:
    """moto 5.2.5's DescribeVpcEndpointServices reads a ``service-name`` filter's values from a key "Value" that no
    request has, and answers HTTP 500 (KeyError) to any such filter. AWS filters by Name and Values
    (docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeVpcEndpointServices.html, Filter.N); here each filter
    also carries its Values as "Value", the key moto reads. `pipenv run preflight` filters by service name."""
    from moto.ec2.models.vpcs import VPCBackend

    describe = VPCBackend.describe_vpc_endpoint_services

    def describe_vpc_endpoint_services(self: Any, *args: Any, **kwargs: Any) -> Any:
        filters = kwargs.get("filters") or []
        kwargs["filters"] = [{"Value": item.get("Values", []), **item} for item in filters]
        return describe(self, *args, **kwargs)

    VPCBackend.describe_vpc_endpoint_services = describe_vpc_endpoint_services  # type: ignore[method-assign]


def _database_insights_settings() -> None:
    """moto 5.2.5 ignores a DB instance's Performance Insights and Database Insights settings (CreateDBInstance,
    ModifyDBInstance) and answers none, so every plan would enable them again. AWS returns what was set
    (docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBInstance.html); here the instance keeps them. Also a DB
    parameter group's modified parameters are answered with their Source, "user", as AWS does
    (API_Parameter.html), which the provider reads them by."""
    from moto.rds.models import DBInstance
    from moto.rds.responses import RDSResponse

    settings = {
        "enable_performance_insights": "performance_insights_enabled",
        "performance_insights_kms_key_id": "performance_insights_kms_key_id",
        "performance_insights_retention_period": "performance_insights_retention_period",
        "database_insights_mode": "database_insights_mode",
    }
    create, update = DBInstance.__init__, DBInstance.update

    def keep(instance: Any, kwargs: dict[str, Any]) -> None:
        for given, answered in settings.items():
            if kwargs.get(given) is not None:
                setattr(instance, answered, kwargs[given])

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        create(self, *args, **kwargs)
        keep(self, kwargs)

    def update_instance(self: Any, **kwargs: Any) -> Any:
        keep(self, kwargs)
        return update(self, **kwargs)

    DBInstance.__init__ = init  # type: ignore[method-assign]
    DBInstance.update = update_instance  # type: ignore[method-assign,assignment]
    describe = RDSResponse.describe_db_parameters

    def describe_db_parameters(self: Any) -> Any:
        result: Any = describe(self)
        for parameter in result.result["Parameters"]:
            parameter.setdefault("Source", "user")
        return result

    RDSResponse.describe_db_parameters = describe_db_parameters  # type: ignore[method-assign]


def _exit_code_of_false() -> None:
    """A stand-in, since moto runs no container: every container "exits" with moto's constant 0, except one whose
    command is `false`, which exits 1 as the POSIX utility does. The tests set migration_command ["false"] to see a
    failed migration through the real `pipenv run migrate` and release script (allowlist: the migration's exit code)."""
    from moto.ecs.models import Container

    create = Container.__init__

    def init(self: Any, task_def: Any) -> None:
        create(self, task_def)
        if (self.command or [None])[0] == "false":
            self.exitCode = 1

    Container.__init__ = init  # type: ignore[method-assign]


REMEMBERED_ANSWERS = 5000
"""How many invocations one_request_at_a_time remembers for a retry (the SDKs retry within seconds; a run sends tens of
thousands of requests; the answers kept are of changing requests, which are small)."""


@dataclass
class _Invocation:
    """An SDK invocation's latest attempt: done once answered (or raised), with its answer."""

    done: threading.Event = field(default_factory=threading.Event)
    answer: tuple[str, list[tuple[str, str]], bytes] | None = None


def one_request_at_a_time(app: Callable[..., Iterable[bytes]]) -> Callable[..., list[bytes]]:
    """moto's application, answering one request at a time, and a request again with the answer it already got.

    AWS's SDKs send a request again on a 5xx answer, a throttling error or a broken connection, with the same
    ``amz-sdk-invocation-id`` and ``amz-sdk-request: attempt=N; max=M`` (docs.aws.amazon.com/sdkref/latest/guide/
    feature-retry-behavior.html). Under the load of three environments' applies on 2 cores, the provider's SDK sent
    requests again that moto had already carried out and answered 200 (this function's log named them: PutRolePolicy,
    AuthorizeSecurityGroupEgress, GetRole, DescribeAlarms): the answer never reached it over moto's server (werkzeug
    closes every connection after an answer). A create sent twice was then refused as a duplicate of itself
    (DBParameterGroupAlreadyExists for a name Terraform had just generated, WafV2DuplicateItem,
    InvalidPermission.Duplicate), a fault of the emulator's transport that fails an apply AWS would not. So a changing
    request (not GET or HEAD) of an invocation seen before waits for the earlier attempt to end, and if that was
    answered with success, gets that answer instead of being carried out twice; each such request is named on stderr.
    One at a time: moto keeps each service's resources in plain dicts without locks."""
    lock, registry = threading.Lock(), threading.Lock()
    invocations: OrderedDict[str, _Invocation] = OrderedDict()

    def answer(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        invocation = environ.get("HTTP_AMZ_SDK_INVOCATION_ID", "") if environ["REQUEST_METHOD"] not in ("GET", "HEAD") else ""
        current = _Invocation()
        earlier = None
        if invocation:
            with registry:
                earlier = invocations.get(invocation)
                invocations[invocation] = current
                invocations.move_to_end(invocation)
                while len(invocations) > REMEMBERED_ANSWERS:
                    invocations.popitem(last=False)
        try:
            if earlier is not None:
                earlier.done.wait()
                replay = earlier.answer is not None and earlier.answer[0].startswith("2")
                size = int(environ.get("CONTENT_LENGTH") or 0)
                body = environ["wsgi.input"].read(size) if size else b""
                environ["wsgi.input"] = io.BytesIO(body)
                action = environ.get("HTTP_X_AMZ_TARGET") or parse_qs(body.decode(errors="replace")).get("Action", ["?"])[0]
                told = earlier.answer[0] if earlier.answer else "none: the application raised"
                print(
                    f"retried request: {environ.get('HTTP_AMZ_SDK_REQUEST', '')} {environ['REQUEST_METHOD']} {environ.get('PATH_INFO')} "
                    f"{action}; the previous attempt's answer: {told}{'; given again, not carried out twice' if replay else ''}",
                    file=sys.stderr,
                    flush=True,
                )
                if replay and earlier.answer is not None:
                    current.answer = earlier.answer
                    start_response(earlier.answer[0], earlier.answer[1])
                    return [earlier.answer[2]]
            given: list[tuple[str, list[tuple[str, str]]]] = []

            def recording_start_response(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
                given.append((status, list(headers)))
                return start_response(status, headers, *args)

            with lock:
                response = app(environ, recording_start_response)
                try:
                    body = b"".join(response)
                finally:
                    getattr(response, "close", lambda: None)()
            current.answer = (*given[-1], body)
            return [body]
        finally:
            current.done.set()

    return answer


def main(argv: list[str]) -> None:
    [port] = argv
    os.environ.update(SETTINGS, MOTO_PORT=port)  # moto builds the URLs it answers with from MOTO_PORT
    from moto.moto_api import state_manager
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import run_simple

    for model, transition in TRANSITIONS.items():
        state_manager.set_transition(model_name=model, transition=transition)
    _add_application_autoscaling_tags()
    _unique_dbi_resource_ids()
    bucket_policies.install()
    _add_backup_selections()
    _add_restore_testing()
    _add_test_event_pattern()
    _add_pull_through_cache_rules()
    _fargate_containers_without_memory()
    _ecs_services_keep_their_settings()
    _traffic_shifts_swap_the_target_groups()
    _service_deployments()
    _security_group_rule_descriptions()
    _endpoint_service_name_filters()
    _orderable_postgresql_classes()
    _database_insights_settings()
    _exit_code_of_false()
    # As moto's own server.main serves, with one_request_at_a_time around the application.
    application = one_request_at_a_time(DomainDispatcherApplication(create_backend_app))
    run_simple("127.0.0.1", int(port), application, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main(sys.argv[1:])
