"""LoadBalancer: the internet-facing ALB, its security group, target group, listeners and optional access logs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cdktf import ITerraformDependable, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.data_aws_acm_certificate import DataAwsAcmCertificate
from cdktf_cdktf_provider_aws.data_aws_elb_service_account import DataAwsElbServiceAccount
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import DataAwsIamPolicyDocumentStatementPrincipals
from cdktf_cdktf_provider_aws.data_aws_lb_listener_rule import DataAwsLbListenerRule
from cdktf_cdktf_provider_aws.lb import Lb, LbAccessLogs
from cdktf_cdktf_provider_aws.lb_listener import LbListener, LbListenerDefaultAction, LbListenerDefaultActionRedirect
from cdktf_cdktf_provider_aws.lb_listener_rule import (
    LbListenerRule,
    LbListenerRuleAction,
    LbListenerRuleActionForward,
    LbListenerRuleActionForwardTargetGroup,
    LbListenerRuleCondition,
    LbListenerRuleConditionPathPattern,
)
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup, LbTargetGroupHealthCheck
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from constructs import Construct

from constructs_lib import firewall
from constructs_lib.firewall import Peer
from constructs_lib.secure_bucket import SecureBucket, SecureBucketProps

HTTP, HTTPS = 80, 443
ACCESS_LOG_DAYS = 90


@dataclass(frozen=True, kw_only=True)
class LoadBalancerProps:
    name: str
    """Name of the ALB and its target group (at most 32 characters)."""
    vpc_id: str
    subnet_ids: Sequence[str]
    """Public subnets in at least two Availability Zones, at most one per zone."""
    target_port: int
    health_check_path: str = "/health"
    ingress_cidrs: Sequence[str] = ("0.0.0.0/0",)
    """Who may reach the listeners. Default: anywhere."""
    certificate_arn: str | None = None
    """ACM certificate for HTTPS. Default: see certificate_tags."""
    certificate_tags: Mapping[str, str] = field(default_factory=dict)
    """Without certificate_arn: look up the issued certificate with these tags. Neither: plain HTTP only."""
    tls_policy: str | None = None
    """The HTTPS listeners' security policy (an ELBSecurityPolicy-* name); required with a certificate."""
    deletion_protection: bool = False
    access_logs_bucket: str | None = None
    """Create this bucket and log every request to it. Default: no access logs."""
    traffic_shift: bool = False
    """For ECS canary, linear and blue/green deployments: a second (alternate) target group, and a production listener
    rule forwarding to both whose weights ECS shifts (Terraform leaves them to ECS). Default: one target group."""
    test_listener_port: int | None = None
    """With traffic_shift: a listener on this port whose rule ECS points at the new revision before production
    traffic moves. Default: none."""
    test_ingress_cidrs: Sequence[str] = ()
    """Who may reach the test listener."""
    deregistration_delay_seconds: int = 30
    slow_start_seconds: int = 0
    """0: off; else 30-900."""


class LoadBalancer(Construct):
    def __init__(self, scope: Construct, id_: str, *, props: LoadBalancerProps) -> None:
        super().__init__(scope, id_)
        if len(props.name) > 32:
            raise ValueError(f"load balancer name {props.name!r} is longer than 32 characters")
        certificate_arn = self._certificate_arn(props)
        self.https = certificate_arn is not None
        listener_ports = (HTTP, HTTPS) if self.https else (HTTP,)

        self._security_group = SecurityGroup(
            self, "security_group", name=f"{props.name}-alb", description=f"Load balancer of {props.name}", vpc_id=props.vpc_id
        )
        for port in listener_ports:
            self._admit(str(port), port, props.ingress_cidrs, f"Clients to the {'HTTPS' if port == HTTPS else 'HTTP'} listener")
        self._target_port = props.target_port

        log_bucket = self._access_logs_bucket(props.access_logs_bucket) if props.access_logs_bucket else None
        alb = Lb(
            self,
            "alb",
            name=props.name,
            internal=False,
            load_balancer_type="application",
            security_groups=[self._security_group.id],
            subnets=list(props.subnet_ids),
            drop_invalid_header_fields=True,
            desync_mitigation_mode="defensive",
            enable_deletion_protection=props.deletion_protection,
            access_logs=LbAccessLogs(bucket=log_bucket.bucket_name, enabled=True) if log_bucket else None,
            # ELB checks that it may write the access logs when they are switched on.
            depends_on=[log_bucket.policy] if log_bucket else None,
        )
        # Blue/green, linear and canary deployments need two target groups of the same shape; ECS registers each new
        # revision in the one not serving (docs.aws.amazon.com/AmazonECS/latest/developerguide/alb-resources-for-blue-green.html).
        target_groups = [self._target_group("target_group", props.name, props)]
        if props.traffic_shift:
            target_groups.append(self._target_group("alternate_target_group", f"{props.name}-alt", props))
        target_group = target_groups[0]
        forward = LbListenerDefaultAction(type="forward", target_group_arn=target_group.arn)
        self.listeners: list[ITerraformDependable] = []
        if certificate_arn is not None:
            serving = _listener(self, "https", alb, HTTPS, certificate_arn=certificate_arn, action=forward, tls_policy=props.tls_policy)
            redirect = LbListenerDefaultAction(
                type="redirect", redirect=LbListenerDefaultActionRedirect(protocol="HTTPS", port=str(HTTPS), status_code="HTTP_301")
            )
            self.listeners += [
                serving,
                LbListener(self, "http", load_balancer_arn=alb.arn, port=HTTP, protocol="HTTP", default_action=[redirect]),
            ]
        else:
            serving = LbListener(self, "http", load_balancer_arn=alb.arn, port=HTTP, protocol="HTTP", default_action=[forward])
            self.listeners.append(serving)
        self.production_rule_arn: str | None = None
        self.test_rule_arn: str | None = None
        self.shifted_listener_arns: list[str] = []
        """The listeners whose rules ECS modifies during a deployment."""
        # The group production traffic goes to now: with traffic_shift, whichever of the two the live rule weights
        # more (ECS swaps them in every successful deployment), else the one group; and the other, where ECS starts
        # the next revision (None without traffic_shift).
        self.live_target_group_arn, self.standby_target_group_arn = target_group.arn, None
        if props.traffic_shift:
            live_rule = self._shifted_rule("live_rule", serving, target_groups)
            self.production_rule_arn = live_rule.arn
            self.live_target_group_arn, self.standby_target_group_arn = self._live_and_standby(live_rule, target_groups)
            self.shifted_listener_arns.append(serving.arn)
            if props.test_listener_port is not None:
                test = self._test_listener(alb, props, certificate_arn, forward)
                self.listeners.append(test)
                self.test_rule_arn = self._shifted_rule("test_rule", test, target_groups).arn
                self.shifted_listener_arns.append(test.arn)
        elif props.test_listener_port is not None:
            raise ValueError("a test listener needs traffic_shift (an alternate target group)")

        self.security_group_id: str = self._security_group.id
        self.arn: str = alb.arn
        self.dns_name: str = alb.dns_name
        self.arn_suffix: str = alb.arn_suffix
        self.target_group_arn: str = target_group.arn
        self.target_group_arns: list[str] = [group.arn for group in target_groups]
        self.target_group_arn_suffixes: list[str] = [group.arn_suffix for group in target_groups]
        """The serving target group first, then the alternate one (with traffic_shift)."""
        self.url: str = f"{'https' if self.https else 'http'}://{alb.dns_name}"

    def _certificate_arn(self, props: LoadBalancerProps) -> str | None:
        """certificate_arn, or the issued certificate carrying certificate_tags; None: plain HTTP."""
        certificate_arn = props.certificate_arn
        if certificate_arn is None and props.certificate_tags:
            certificate_arn = DataAwsAcmCertificate(
                self, "certificate", tags=dict(props.certificate_tags), statuses=["ISSUED"], most_recent=True
            ).arn
        if certificate_arn is not None and not props.tls_policy:
            raise ValueError("an HTTPS listener needs tls_policy")
        return certificate_arn

    def _target_group(self, id_: str, name: str, props: LoadBalancerProps) -> LbTargetGroup:
        """A target group for ECS's ip targets. Its port is only the default for targets registered without one: ECS
        registers each task's IP with the container port of the service's load balancer block, and health checks go to
        the port each target receives traffic on, "traffic-port" (docs.aws.amazon.com/elasticloadbalancing/latest/
        APIReference/API_CreateTargetGroup.html, Port and HealthCheckPort). A change of port (like name, protocol or
        VPC) replaces a group, which fails while the listener and the live rule forward to it (ResourceInUse); so it
        is set at creation and then ignored, and a container_port change moves the tasks, not the groups."""
        return LbTargetGroup(
            self,
            id_,
            name=name,
            port=props.target_port,
            lifecycle=TerraformResourceLifecycle(ignore_changes=["port"]),
            protocol="HTTP",
            target_type="ip",
            vpc_id=props.vpc_id,
            deregistration_delay=str(props.deregistration_delay_seconds),
            slow_start=props.slow_start_seconds,
            health_check=LbTargetGroupHealthCheck(
                path=props.health_check_path, matcher="200-399", interval=15, timeout=5, healthy_threshold=2, unhealthy_threshold=3
            ),
        )

    def _live_and_standby(self, live_rule: LbListenerRule, target_groups: list[LbTargetGroup]) -> tuple[str, str]:
        """Which group serves is ECS's, not Terraform's: after each successful canary, linear or blue/green deployment
        the rule forwards everything to the group the new revision started in, and ECS reports that group as the
        service's target group and the former one as the alternate (docs.aws.amazon.com/AmazonECS/latest/
        developerguide/blue-green-deployment-how-it-works.html; hashicorp/terraform-provider-aws#45678). The provider
        reads the service's load_balancer block back as ECS reports it and, on any change of the block, sends the
        configuration's block whole (internal/service/ecs/service.go at v6.25.0: flattenServiceLoadBalancers in
        resourceServiceRead, expandServiceLoadBalancers in resourceServiceUpdate; the block is a set, so ignore_changes
        could only drop all of it, port and rules too). A fixed pair would be reported as drift after every other
        release and sent back, putting the next revision behind the live group. So the pair follows the rule's
        weights, read at plan time (the group weighted more is live; the first group on a tie and while the rule
        is not read yet): the plan after a release is clean, and a change of the block (a port) keeps the live group live."""
        rule = DataAwsLbListenerRule(self, "live_rule_weights", arn=live_rule.arn)
        weights = (
            # flatten: the forward block is a single block in provider 5.100.0's schema and a list in 6.25.0's.
            f"{{for group in flatten([data.{rule.terraform_resource_type}.{rule.friendly_unique_id}.action[0].forward])[0]"
            ".target_group : group.arn => group.weight}"
        )
        first, second = (f"{group.terraform_resource_type}.{group.friendly_unique_id}.arn" for group in target_groups)
        # try: before the rule exists (the first plan, or a plan that replaces it) the data source is read at apply and
        # its action is planned as an empty list; the first group is then live, as the new rule forwards to it.
        swapped = f"try(lookup({weights}, {second}, 0) > lookup({weights}, {first}, 0), false)"
        return f"${{{swapped} ? {second} : {first}}}", f"${{{swapped} ? {first} : {second}}}"

    def _shifted_rule(self, id_: str, listener: LbListener, target_groups: list[LbTargetGroup]) -> LbListenerRule:
        """A rule matching every path that forwards to both target groups, all traffic to the first. ECS rewrites the
        weights (and which group is first) in each deployment, so Terraform ignores the action once created. Only
        forward actions on these listeners: ECS refuses a listener that mixes forward with other action types."""
        weighted = [
            LbListenerRuleActionForwardTargetGroup(arn=group.arn, weight=weight)
            for group, weight in zip(target_groups, (100, 0), strict=True)
        ]
        rule = LbListenerRule(
            self,
            id_,
            listener_arn=listener.arn,
            priority=1,
            action=[LbListenerRuleAction(type="forward", forward=LbListenerRuleActionForward(target_group=weighted))],
            condition=[LbListenerRuleCondition(path_pattern=LbListenerRuleConditionPathPattern(values=["/*"]))],
            lifecycle=TerraformResourceLifecycle(ignore_changes=["action"]),
        )
        return rule

    def _test_listener(
        self, alb: Lb, props: LoadBalancerProps, certificate_arn: str | None, forward: LbListenerDefaultAction
    ) -> LbListener:
        port = props.test_listener_port
        assert port is not None
        if not props.test_ingress_cidrs:
            raise ValueError("a test listener needs test_ingress_cidrs")
        self._admit("test", port, props.test_ingress_cidrs, "Testers to the test listener (the new revision before production traffic)")
        return _listener(self, "test", alb, port, certificate_arn=certificate_arn, action=forward, tls_policy=props.tls_policy)

    def _admit(self, id_: str, port: int, cidrs: Sequence[str], description: str) -> None:
        """Ingress rules ingress_<id>_<n>: each CIDR block to ``port``."""
        for index, cidr in enumerate(cidrs):
            firewall.ingress(
                self,
                f"ingress_{id_}_{index}",
                security_group_id=self._security_group.id,
                peer=Peer(cidr=cidr),
                port=port,
                description=description,
            )

    def allow_to(self, id_: str, *, security_group_id: str, description: str) -> firewall.Rule:
        """Let the load balancer reach the targets' port in ``security_group_id``: its only egress. On a change of the
        port the rule of the old one stays until what depends on the returned rule (the service) has moved."""
        return firewall.egress(
            self,
            f"egress_{id_}",
            security_group_id=self._security_group.id,
            peer=Peer(security_group_id=security_group_id),
            port=self._target_port,
            description=description,
            overlap=True,
        )

    def _access_logs_bucket(self, bucket_name: str) -> SecureBucket:
        # Regions from before August 2022 deliver as the regional ELB account, newer ones as the log-delivery service.
        elb_account = DataAwsElbServiceAccount(self, "elb_account")
        return SecureBucket(
            self,
            "access_logs",
            props=SecureBucketProps(
                bucket_name=bucket_name,
                encryption="AES256",  # ALB log delivery supports SSE-S3 only
                versioned=False,
                expiration_days=ACCESS_LOG_DAYS,
                writers=(
                    DataAwsIamPolicyDocumentStatementPrincipals(type="AWS", identifiers=[elb_account.arn]),
                    DataAwsIamPolicyDocumentStatementPrincipals(
                        type="Service", identifiers=["logdelivery.elasticloadbalancing.amazonaws.com"]
                    ),
                ),
                writer_prefix="AWSLogs/",
            ),
        )


def _listener(
    scope: Construct, id_: str, alb: Lb, port: int, *, certificate_arn: str | None, action: LbListenerDefaultAction, tls_policy: str | None
) -> LbListener:
    """HTTPS with the certificate and the TLS policy, or plain HTTP without a certificate."""
    https = certificate_arn is not None
    return LbListener(
        scope,
        id_,
        load_balancer_arn=alb.arn,
        port=port,
        protocol="HTTPS" if https else "HTTP",
        ssl_policy=tls_policy if https else None,
        certificate_arn=certificate_arn,
        default_action=[action],
    )
