import CourtLog
import CourtPlan

/// Who leads, assists and answers for an indicator on a day.
public struct IndicatorAssignment: Sendable, Equatable {
    public let indicator: String
    public let indicatorName: String
    public let code: String
    public let lead: [String]
    public let assisting: [String]
    /// Stage name (立案阶段) and its lead departments, for a stage-split indicator.
    public let stages: [StageAssignment]
    /// As the plan or the assignment event names them (groups unexpanded).
    public let responsible: [String]
    /// Groups expanded to courts and departments.
    public let responsibleUnits: [String]
    public let thresholdText: String
    public let reviewLimitHours: Int64?
    public let document: String

    public struct StageAssignment: Sendable, Equatable {
        public let stage: String
        public let name: String
        public let lead: [String]
    }
}

/// A department's duties (三) and what it leads, assists or answers for.
public struct DepartmentAssignment: Sendable, Equatable {
    public let department: String
    public let name: String
    public let duties: [String]
    public let leads: [String]
    public let assists: [String]
    public let answersFor: [String]
}

extension Projection {
    public func indicatorAssignments(on day: CivilDate) -> [IndicatorAssignment] {
        plan.indicators.map { ind in
            let a = policy.assignment(ind.slug, on: day)
            let assignment = a?.value ?? PolicyState.Assignment(lead: ind.lead, assisting: ind.assisting, responsible: ind.responsible)
            let t = policy.threshold(ind.slug, on: day)?.value ?? nil
            let thresholdText = t.map { "≥ " + ComplianceRow.format(numerator: $0, denominator: 10_000, unit: ind.unit) } ?? "未设定 (not assessed)"
            return IndicatorAssignment(
                indicator: ind.slug, indicatorName: ind.name, code: ind.code, lead: assignment.lead, assisting: assignment.assisting,
                stages: ind.stageLeads.map { .init(stage: $0.stage, name: $0.name, lead: $0.lead) },
                responsible: assignment.responsible, responsibleUnits: policy.expand(assignment.responsible),
                thresholdText: thresholdText, reviewLimitHours: policy.reviewLimit(ind.slug, on: day)?.value,
                document: a?.document ?? plan.document.number)
        }
    }

    public func departmentAssignments(on day: CivilDate) -> [DepartmentAssignment] {
        let indicators = indicatorAssignments(on: day)
        return plan.departments.map { d in
            DepartmentAssignment(
                department: d.slug, name: d.name, duties: d.duties.map { "\($0.no). \($0.text)" },
                leads: indicators.filter { $0.lead.contains(d.slug) || $0.stages.contains { $0.lead.contains(d.slug) } }.map(\.indicator),
                assists: indicators.filter { $0.assisting.contains(d.slug) }.map(\.indicator),
                answersFor: indicators.filter { $0.responsibleUnits.contains(d.slug) }.map(\.indicator))
        }
    }
}
