"""minprow's Kubernetes-side pieces shared by the store and the executors.

`crd` holds minprow's ProwJob CustomResourceDefinition, compatible with Prow's.
"""
