"""Event templates of Amazon EC2."""

from __future__ import annotations

from typing import Any


class Ec2Templates:
    def ec2_describe_instances(self, t: int) -> dict[str, Any]:
        if self.rnd() < 0.5:
            request: dict[str, Any] = {
                "instancesSet": {},
                "filterSet": {
                    "items": [{"name": "instance-state-name", "valueSet": {"items": [{"value": "running"}]}}]
                },
                "maxResults": 1000,
            }
        else:
            request = {"instancesSet": {"items": [{"instanceId": self.pick(self.instances)}]}, "filterSet": {}}
        return self.record(t, self.principal(t), "ec2.amazonaws.com", "DescribeInstances", request, read_only=True)

    def ec2_describe_network(self, t: int) -> dict[str, Any]:
        name, id_set = self.pick(
            (
                ("DescribeRouteTables", "routeTableIdSet"),
                ("DescribeSecurityGroups", "securityGroupIdSet"),
                ("DescribeSubnets", "subnetSet"),
                ("DescribeVpcs", "vpcSet"),
                ("DescribeNetworkInterfaces", "networkInterfaceIdSet"),
            )
        )
        request = {
            id_set: {},
            "filterSet": {"items": [{"name": "vpc-id", "valueSet": {"items": [{"value": self.pick(self.vpcs)}]}}]},
        }
        return self.record(t, self.principal(t), "ec2.amazonaws.com", name, request, read_only=True)

    def ec2_run_instances(self, t: int) -> dict[str, Any]:
        instance = "i-0" + self.hexid(16)
        subnet = self.pick(self.subnets)
        group = self.pick(self.security_groups)
        ip = self.private_ip()
        tags = [{"key": "Name", "value": f"web-{self.bits(8)}"}, {"key": "team", "value": "platform"}]
        request = {
            "instancesSet": {"items": [{"imageId": "ami-0" + self.hexid(16), "minCount": 1, "maxCount": 1}]},
            "instanceType": self.pick(("t3.micro", "m7g.large", "c7i.xlarge")),
            "blockDeviceMapping": {},
            "monitoring": {"enabled": False},
            "subnetId": subnet,
            "disableApiTermination": False,
            "disableApiStop": False,
            "clientToken": self.uuid(),
            "tagSpecificationSet": {"items": [{"resourceType": "instance", "tags": tags}]},
        }
        response = {
            "requestId": self.uuid(),
            "reservationId": "r-0" + self.hexid(16),
            "ownerId": self.account,
            "groupSet": {},
            "instancesSet": {
                "items": [
                    {
                        "instanceId": instance,
                        "imageId": request["instancesSet"]["items"][0]["imageId"],
                        "instanceState": {"code": 0, "name": "pending"},
                        "privateDnsName": f"ip-{ip.replace('.', '-')}.{self.region}.compute.internal",
                        "amiLaunchIndex": 0,
                        "productCodes": {},
                        "instanceType": request["instanceType"],
                        "launchTime": t * 1000,
                        "placement": {"availabilityZone": f"{self.region}a", "tenancy": "default"},
                        "monitoring": {"state": "disabled"},
                        "subnetId": subnet,
                        "vpcId": self.vpcs[0],
                        "privateIpAddress": ip,
                        "stateReason": {"code": "pending", "message": "pending"},
                        "architecture": "x86_64",
                        "rootDeviceType": "ebs",
                        "rootDeviceName": "/dev/xvda",
                        "blockDeviceMapping": {},
                        "virtualizationType": "hvm",
                        "tagSet": {"items": tags},
                        "groupSet": {"items": [{"groupId": group, "groupName": "web"}]},
                        "sourceDestCheck": True,
                        "ebsOptimized": False,
                        "enaSupport": True,
                        "cpuOptions": {"coreCount": 1, "threadsPerCore": 2},
                        "metadataOptions": {
                            "state": "pending",
                            "httpTokens": "required",
                            "httpPutResponseHopLimit": 2,
                            "httpEndpoint": "enabled",
                        },
                    }
                ]
            },
        }
        return self.record(
            t,
            self.principal(t),
            "ec2.amazonaws.com",
            "RunInstances",
            request,
            response,
            read_only=False,
            not_found=(
                "Client.VcpuLimitExceeded",
                "You have requested more vCPU capacity than your current vCPU limit of 32 allows for the instance "
                "bucket that the specified instance type belongs to.",
            ),
        )

    def ec2_create_tags(self, t: int) -> dict[str, Any]:
        request = {
            "resourcesSet": {"items": [{"resourceId": self.pick(self.instances)}]},
            "tagSet": {"items": [{"key": "owner", "value": self.pick(("alice", "bob", "platform"))}]},
        }
        return self.record(
            t, self.principal(t), "ec2.amazonaws.com", "CreateTags", request, {"_return": True}, read_only=False
        )
