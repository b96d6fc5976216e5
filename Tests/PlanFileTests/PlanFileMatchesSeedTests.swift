import Foundation
import Testing

/// Checks `protocol/plan/jiaozuo-2022-77.json` against the seed text of 焦中法〔2022〕77号.
///
/// The seed is parsed on its own terms (headings, numbered items, 考核标准 / 牵头考核部门 /
/// 责任部门 lines), so a wrong count or a wrong assignment in the plan file shows up as a
/// difference between the two, not as agreement between the JSON and a copy of itself.
@Suite("Plan file matches the seed text of 焦中法〔2022〕77号")
struct PlanFileMatchesSeedTests {

    // MARK: Files

    @Test func sharedSeedIsByteIdenticalToRepoCopy() throws {
        let fixture = try loadFixture()
        let shared = fixture.root.deletingLastPathComponent()
            .appendingPathComponent("shared/seed/jiaozuo-plan-2022-77.txt")
        guard FileManager.default.fileExists(atPath: shared.path) else { return }
        let sharedBytes = try Data(contentsOf: shared)
        #expect(sharedBytes == fixture.seedBytes,
                "\(shared.path) (\(sharedBytes.count) bytes) differs from protocol/seed/jiaozuo-plan-2022-77.txt (\(fixture.seedBytes.count) bytes)")
    }

    @Test func planHasNoFloatingPointNumbers() throws {
        let fixture = try loadFixture()
        let tokens = nonIntegerNumberTokens(in: fixture.planBytes)
        #expect(tokens.isEmpty, "plan file has non-integer number tokens: \(tokens)")
        var paths: [String] = []
        collectFloatPaths(fixture.plan, path: "$", into: &paths)
        #expect(paths.isEmpty, "plan file has floating-point values at \(paths)")
    }

    // MARK: Document

    @Test func documentNumberDateAndSupersededDocumentAppearInSeed() throws {
        let fixture = try loadFixture()
        let document = object(fixture.plan["document"])
        let seed = fixture.seed

        let printed = string(document["number_as_printed"]) ?? ""
        #expect(seed.contains(printed), "number_as_printed '\(printed)' is not in the seed")
        let official = string(document["number"]) ?? ""
        let normalised = official.replacingOccurrences(of: "〔", with: "[").replacingOccurrences(of: "〕", with: "]")
        #expect(normalised == printed, "number '\(official)' is not the official form of '\(printed)'")

        for key in ["title", "full_title", "notice_title", "issuer", "addressees", "effective_text"] {
            let text = string(document[key]) ?? ""
            #expect(seed.contains(text), "document.\(key) '\(text)' is not in the seed")
        }
        #expect(string(document["full_title"]) == (string(document["issuer"]) ?? "") + (string(document["title"]) ?? ""),
                "document.full_title is not issuer + title")

        let issued = string(document["issued"]) ?? ""
        let chineseDate = chineseDateText(iso: issued)
        #expect(chineseDate.map { seed.contains($0) } == true,
                "issued '\(issued)' (\(chineseDate ?? "not a date")) is not in the seed")
        // 本方案自发布之日起实施: effective on the day of issue.
        #expect(string(document["effective"]) == issued, "effective '\(string(document["effective"]) ?? "nil")' differs from issued '\(issued)'")

        let supersedes = strings(document["supersedes"])
        #expect(!supersedes.isEmpty, "document.supersedes is empty")
        for title in supersedes {
            #expect(seed.contains("原《\(title)》废止"), "superseded document '\(title)' is not named as 原《…》废止 in the seed")
        }
    }

    @Test func goalsRequirementsAndAccountabilityAreVerbatim() throws {
        let fixture = try loadFixture()
        let lines = seedLines(fixture.seed)

        let goals = string(fixture.plan["goals"])
        let seedGoals = try #require(linesBetween(lines, from: "一、目标要求", to: "二、组织领导").first)
        #expect(goals == seedGoals, "goals differ from the text of 一、目标要求")

        let seedRequirements = numberedItems(linesBetween(lines, from: "五、推进要求", to: nil))
        let requirements = array(fixture.plan["requirements"]).map(object)
        #expect(requirements.count == seedRequirements.count,
                "requirements: JSON has \(requirements.count), seed section 五 has \(seedRequirements.count)")
        for (index, item) in requirements.enumerated() where index < seedRequirements.count {
            #expect(integer(item["no"]) == seedRequirements[index].number, "requirement \(index + 1): no differs")
            #expect(string(item["text"]) == seedRequirements[index].text, "requirement \(index + 1): text differs from the seed")
        }

        let accountability = object(fixture.plan["accountability"])
        let accountabilityText = string(accountability["text"]) ?? ""
        #expect(seedRequirements.last?.text == accountabilityText, "accountability.text is not the seed's last 推进要求 item")
        let rank = try Regex("前([一二三四五六七八九十]+)名")
        let seedRank = accountabilityText.firstMatch(of: rank)
            .flatMap { $0.output[1].substring }
            .flatMap { chineseNumber(String($0)) }
        #expect(seedRank != nil && integer(accountability["first_group_rank"]) == seedRank,
                "accountability.first_group_rank \(integer(accountability["first_group_rank"]).map(String.init) ?? "nil") differs from the seed's 前…名 (\(seedRank.map(String.init) ?? "not found"))")

        let policy = string(fixture.plan["threshold_policy_text"]) ?? ""
        #expect(!policy.isEmpty && fixture.seed.contains("（\(policy)）"), "threshold_policy_text is not the seed's parenthesised note")
    }

    // MARK: Leading group

    @Test func leadingGroupPeopleRolesAndOfficeAppearInSeed() throws {
        let fixture = try loadFixture()
        let seed = fixture.seed
        let group = object(fixture.plan["leading_group"])
        let names = departmentNamesBySlug(fixture.plan)

        let groupName = string(group["name"]) ?? ""
        #expect(seed.contains("成立\(groupName)"), "leading group '\(groupName)' is not established in the seed")
        let groupDuties = string(group["duties"]) ?? ""
        #expect(seed.contains(groupDuties), "leading_group.duties is not verbatim in the seed")

        let roles = array(group["roles"]).map(object)
        #expect(!roles.isEmpty, "leading_group.roles is empty")
        for role in roles {
            let title = string(role["role"]) ?? ""
            let position = string(role["position"]) ?? ""
            if let person = string(role["person"]) {
                #expect(seed.contains("\(position)\(person)担任\(title)"),
                        "leading group: '\(position)\(person)担任\(title)' is not in the seed")
            } else {
                #expect(role["person"] is NSNull, "leading group role \(title): person must be a string or null")
                #expect(seed.contains("\(position)担任领导小组\(title)"),
                        "leading group: '\(position)担任领导小组\(title)' is not in the seed")
            }
        }

        let office = object(group["office"])
        let officeName = string(office["name"]) ?? ""
        #expect(seed.contains(officeName), "office name '\(officeName)' is not in the seed")
        let officeDuties = string(office["duties"]) ?? ""
        #expect(seed.contains(officeDuties), "office.duties is not verbatim in the seed")
        for role in array(office["roles"]).map(object) {
            let title = string(role["role"]) ?? ""
            let position = string(role["position"]) ?? ""
            let person = string(role["person"]) ?? "?"
            #expect(seed.contains("\(title)由\(position)\(person)担任"),
                    "office: '\(title)由\(position)\(person)担任' is not in the seed")
        }
        let seat = string(office["seat"]) ?? ""
        #expect(names[seat].map { seed.contains("办公室设在\($0)") } == true,
                "office.seat '\(seat)' is not the department named in 办公室设在…")

        let membersPattern = try Regex("成员由(.+?)负责人组成")
        let seedMembers = try #require(seed.text.firstMatch(of: membersPattern)?.output[1].substring,
                                       "seed has no 成员由…负责人组成")
        let slugByName = unitSlugsByName(fixture.plan)
        let expectedMembers = seedMembers.split(separator: "、").map { slugByName[String($0)] ?? "<unknown \($0)>" }
        #expect(strings(office["member_units"]) == expectedMembers,
                "office.member_units \(strings(office["member_units"])) differ from the seed's \(expectedMembers)")

        let meeting = object(group["meeting"])
        #expect(seed.contains(string(meeting["name"]) ?? "<missing>") && integer(meeting["interval_days"]) == 14,
                "meeting must be the seed's 双周例会 every 14 days")
        for key in ["text", "convener_duties", "emergency"] {
            let text = string(meeting[key]) ?? ""
            #expect(seed.contains(text), "meeting.\(key) is not verbatim in the seed")
        }
        let convener = string(meeting["convener"]) ?? ""
        #expect(names[convener].map { (string(meeting["convener_duties"]) ?? "").hasPrefix("\($0)负责召集例会") } == true,
                "meeting.convener '\(convener)' is not the department that 负责召集例会")
    }

    // MARK: Departments

    @Test func everyDepartmentNameAppearsInSeed() throws {
        let fixture = try loadFixture()
        for department in array(fixture.plan["departments"]).map(object) {
            let name = string(department["name"]) ?? ""
            #expect(fixture.seed.contains(name), "department '\(name)' is not in the seed")
        }
        for unitGroup in array(fixture.plan["unit_groups"]).map(object) {
            let name = string(unitGroup["name"]) ?? ""
            #expect(fixture.seed.contains(name), "unit group '\(name)' is not in the seed")
        }
    }

    @Test func everyDutyTextAppearsVerbatimInSeed() throws {
        let fixture = try loadFixture()
        for department in array(fixture.plan["departments"]).map(object) {
            let name = string(department["name"]) ?? "?"
            for duty in array(department["duties"]).map(object) {
                let text = string(duty["text"]) ?? ""
                #expect(fixture.seed.contains(text),
                        "\(name) duty \(integer(duty["no"]) ?? 0) is not verbatim in the seed: \(text)")
            }
        }
    }

    @Test func dutyCountsMatchNumberedItemsUnderEachHeading() throws {
        let fixture = try loadFixture()
        let seedSections = try seedDepartmentSections(fixture.seed)
        #expect(seedSections.map(\.marker) == ["（一）", "（二）", "（三）", "（四）", "（五）", "（六）", "（七）", "（八）"],
                "section 三 headings are \(seedSections.map(\.marker))")

        let departments = array(fixture.plan["departments"]).map(object)
        let withSection = departments.filter { string($0["section"]) != nil }
        #expect(withSection.map { string($0["name"]) ?? "" } == seedSections.map(\.name),
                "departments with a section are \(withSection.map { string($0["name"]) ?? "" }), seed headings are \(seedSections.map(\.name))")

        for section in seedSections {
            guard let department = departments.first(where: { string($0["name"]) == section.name }) else {
                Issue.record("seed heading \(section.marker)\(section.name) has no department in the plan file")
                continue
            }
            #expect(string(department["section"]) == section.marker,
                    "\(section.name): section '\(string(department["section"]) ?? "nil")' but seed heading is \(section.marker)")
            let duties = array(department["duties"]).map(object)
            if section.items.isEmpty {
                #expect(section.plain.count == 1, "\(section.name): seed has \(section.plain.count) unnumbered paragraphs, expected 1")
                #expect(department["numbered"] as? Bool == false, "\(section.name): unnumbered in the seed but numbered is not false")
                #expect(duties.count == 1, "\(section.name): \(duties.count) duties in JSON, seed has one unnumbered duty")
                #expect(duties.first.map { integer($0["no"]) == 1 && string($0["text"]) == section.plain.first } == true,
                        "\(section.name): the single duty differs from the seed paragraph")
            } else {
                #expect(section.plain.isEmpty, "\(section.name): seed has unnumbered lines among numbered items: \(section.plain)")
                #expect(department["numbered"] == nil || department["numbered"] as? Bool == true,
                        "\(section.name): numbered in the seed but numbered is false")
                #expect(duties.count == section.items.count,
                        "\(section.name): \(duties.count) duties in JSON, \(section.items.count) numbered items in the seed")
                for (index, item) in section.items.enumerated() where index < duties.count {
                    #expect(item.number == index + 1, "\(section.name): seed item \(index + 1) is numbered \(item.number)")
                    #expect(integer(duties[index]["no"]) == item.number, "\(section.name) duty \(index + 1): no differs")
                    #expect(string(duties[index]["text"]) == item.text,
                            "\(section.name) duty \(item.number): JSON '\(string(duties[index]["text"]) ?? "nil")' vs seed '\(item.text)'")
                }
            }
        }
        for department in departments where string(department["section"]) == nil {
            #expect(array(department["duties"]).isEmpty,
                    "\(string(department["name"]) ?? "?") has no section in the seed but has duties")
        }
    }

    // MARK: Metrics and indicators

    @Test func countsAreElevenCourtsFifteenMetricsNineteenIndicators() throws {
        let fixture = try loadFixture()
        #expect(string(fixture.plan["format"]) == "courtsync-plan/1", "format is not courtsync-plan/1")
        let courts = array(fixture.plan["courts"]).map(object)
        #expect(courts.count == 11, "\(courts.count) courts, expected 11")
        #expect(array(fixture.plan["metrics"]).count == 15, "\(array(fixture.plan["metrics"]).count) metrics, expected 15")
        #expect(array(fixture.plan["indicators"]).count == 19, "\(array(fixture.plan["indicators"]).count) indicators, expected 19")

        let codes = courts.compactMap { string($0["code"]) }
        #expect(Set(codes).count == courts.count, "court codes are not unique: \(codes)")
        let intermediate = courts.filter { string($0["level"]) == "intermediate" }
        #expect(intermediate.count == 1 && string(intermediate.first?["code"]) == "410800"
                && string(intermediate.first?["name"]) == string(object(fixture.plan["document"])["issuer"]),
                "the single intermediate court must be 410800, the issuer")
        #expect(courts.filter { string($0["level"]) == "grassroots" }.count == 10, "expected 10 grassroots courts")
        for court in courts {
            let code = string(court["code"]) ?? ""
            let name = string(court["name"]) ?? ""
            let level = string(court["level"]) ?? ""
            #expect(code.count == 6 && code.hasPrefix("4108") && code.allSatisfy(\.isASCII), "court code '\(code)' is not a 4108xx division code")
            #expect(name.hasSuffix("人民法院"), "court name '\(name)' does not end in 人民法院")
            let expectedPrefix = level == "intermediate" ? "豫" + code.dropFirst(2).prefix(2) : "豫" + code.dropFirst(2)
            #expect(string(court["case_prefix"]) == expectedPrefix,
                    "court \(code): case_prefix '\(string(court["case_prefix"]) ?? "nil")', expected '\(expectedPrefix)'")
        }
    }

    @Test func metricHeadingsAndStandardLinesMatchSeed() throws {
        let fixture = try loadFixture()
        let seedMetrics = try seedMetricBlocks(fixture.seed)
        #expect(seedMetrics.map(\.number) == Array(1...15), "seed section 四 headings are numbered \(seedMetrics.map(\.number))")
        let metrics = array(fixture.plan["metrics"]).map(object)
        for (index, seedMetric) in seedMetrics.enumerated() where index < metrics.count {
            let metric = metrics[index]
            #expect(integer(metric["no"]) == seedMetric.number, "metric \(index + 1): no differs from seed heading \(seedMetric.number)")
            #expect(string(metric["name"]) == seedMetric.name,
                    "metric \(seedMetric.number): name '\(string(metric["name"]) ?? "nil")' vs seed '\(seedMetric.name)'")
            #expect(string(metric["standard_text"]) == seedMetric.standard,
                    "metric \(seedMetric.number): standard_text differs from the seed's 考核标准 line")
        }
    }

    @Test func indicatorThresholdsMatchSeedStandardLines() throws {
        let fixture = try loadFixture()
        let seedMetrics = try seedMetricBlocks(fixture.seed)
        let indicators = indicatorsBySlug(fixture.plan)
        let metrics = array(fixture.plan["metrics"]).map(object)

        for seedMetric in seedMetrics {
            guard let metric = metrics.first(where: { integer($0["no"]) == seedMetric.number }) else {
                Issue.record("seed metric \(seedMetric.number) \(seedMetric.name) is not in the plan file")
                continue
            }
            let fragments = try thresholdFragments(seedMetric.standard ?? "")
            let members = strings(metric["indicators"]).compactMap { indicators[$0] }
            let numbered = members.filter { !($0["threshold"] is NSNull) }
            #expect(numbered.count == fragments.count,
                    "metric \(seedMetric.number): \(numbered.count) indicators with a threshold, seed names \(fragments.count) numbers")
            for (indicator, fragment) in zip(numbered, fragments) {
                let slug = string(indicator["slug"]) ?? "?"
                let threshold = object(indicator["threshold"])
                #expect(integer(indicator["metric"]) == seedMetric.number, "\(slug): metric differs from \(seedMetric.number)")
                #expect(integer(threshold["per_10k"]) == fragment.per10k,
                        "\(slug): per_10k \(integer(threshold["per_10k"]).map(String.init) ?? "nil"), seed '\(fragment.text)' gives \(fragment.per10k.map(String.init) ?? "nothing")")
                #expect(string(threshold["compare"]) == ">=", "\(slug): compare must be >= for '\(fragment.text)'")
                #expect(string(indicator["unit"]) == (fragment.percent ? "percent" : "per_case"),
                        "\(slug): unit '\(string(indicator["unit"]) ?? "nil")' does not fit '\(fragment.text)'")
                #expect(string(indicator["threshold_text"]) == fragment.text,
                        "\(slug): threshold_text '\(string(indicator["threshold_text"]) ?? "nil")' vs seed '\(fragment.text)'")
            }
        }
    }

    @Test func openIndicatorsHaveNullThresholdAndSeedText() throws {
        let fixture = try loadFixture()
        let seedMetrics = try seedMetricBlocks(fixture.seed)
        let names = departmentNamesBySlug(fixture.plan)
        let open = array(fixture.plan["indicators"]).map(object).filter { $0["threshold"] is NSNull }
        #expect(open.compactMap { string($0["slug"]) } == ["online-petition", "live-streaming"],
                "open indicators are \(open.compactMap { string($0["slug"]) })")
        for indicator in open {
            let slug = string(indicator["slug"]) ?? "?"
            let text = string(indicator["threshold_text"]) ?? ""
            let standard = seedMetrics.first { $0.number == integer(indicator["metric"]) }?.standard
            #expect(fixture.seed.contains(text), "\(slug): threshold_text '\(text)' is not in the seed")
            #expect(standard == text, "\(slug): threshold_text is not the whole 考核标准 line '\(standard ?? "nil")'")
            #expect(try thresholdFragments(standard ?? "").isEmpty, "\(slug): the seed gives a number but the threshold is null")
            let setter = string(indicator["threshold_setter"]) ?? ""
            let setterName: String? = setter == "provincial-court" ? "省法院" : names[setter]
            #expect(setterName.map { text.contains($0) } == true,
                    "\(slug): threshold_setter '\(setter)' is not who the seed says sets it ('\(text)')")
        }
        for indicator in array(fixture.plan["indicators"]).map(object) where !(indicator["threshold"] is NSNull) {
            #expect(indicator["threshold_setter"] == nil, "\(string(indicator["slug"]) ?? "?") has a number and a threshold_setter")
        }
    }

    @Test func leadAssistingAndResponsibleUnitsMatchSeed() throws {
        let fixture = try loadFixture()
        let seedMetrics = try seedMetricBlocks(fixture.seed)
        let slugByName = unitSlugsByName(fixture.plan)
        let indicators = indicatorsBySlug(fixture.plan)
        let metrics = array(fixture.plan["metrics"]).map(object)
        let stageCodes = ["立案阶段": "filing", "审判阶段": "trial"]

        func slug(_ name: String, metric: Int) -> String {
            guard let slug = slugByName[name] else {
                Issue.record("metric \(metric): seed names '\(name)' but no department or unit group has that name")
                return "<unknown \(name)>"
            }
            return slug
        }

        for seedMetric in seedMetrics {
            let number = seedMetric.number
            guard let metric = metrics.first(where: { integer($0["no"]) == number }) else {
                Issue.record("seed metric \(number) is not in the plan file")
                continue
            }
            var lead: [String] = []
            var assisting: [String] = []
            var stages: [String] = []
            for token in listItems(seedMetric.lead ?? "") {
                if token.hasSuffix("（配合）") {
                    assisting.append(slug(String(token.dropLast(4)), metric: number))
                } else if let stage = stageCodes.first(where: { token.hasSuffix("（\($0.key)）") }) {
                    let unit = slug(String(token.dropLast(stage.key.count + 2)), metric: number)
                    lead.append(unit)
                    stages.append("\(stage.value)|\(stage.key)|\(unit)")
                } else {
                    lead.append(slug(token, metric: number))
                }
            }
            let responsible = listItems(seedMetric.responsible ?? "").map { slug($0, metric: number) }
            #expect(!lead.isEmpty && !responsible.isEmpty, "metric \(number): seed lead or responsible line missing")

            let memberSlugs = strings(metric["indicators"])
            #expect(!memberSlugs.isEmpty, "metric \(number) lists no indicators")
            let holders = [("metric \(number)", metric)] + memberSlugs.map { ("indicator \($0)", indicators[$0] ?? [:]) }
            for (label, holder) in holders {
                #expect(strings(holder["lead"]) == lead, "\(label): lead \(strings(holder["lead"])), seed says \(lead)")
                #expect(strings(holder["assisting"]) == assisting,
                        "\(label): assisting \(strings(holder["assisting"])), seed says \(assisting)")
                #expect(strings(holder["responsible"]) == responsible,
                        "\(label): responsible \(strings(holder["responsible"])), seed says \(responsible)")
                let jsonStages = array(holder["stage_leads"]).map(object).map { stage in
                    "\(string(stage["stage"]) ?? "")|\(string(stage["name"]) ?? "")|\(strings(stage["lead"]).joined(separator: ","))"
                }
                #expect(jsonStages == stages, "\(label): stage_leads \(jsonStages), seed says \(stages)")
            }
        }
    }

    @Test func reviewLimitsOnlyOnTimelyIndicators() throws {
        let fixture = try loadFixture()
        for indicator in array(fixture.plan["indicators"]).map(object) {
            let slug = string(indicator["slug"]) ?? "?"
            let timely = (string(indicator["name"]) ?? "").contains("及时")
            let hours = integer(indicator["review_limit_hours"])
            if timely {
                #expect((hours ?? 0) > 0, "\(slug) is a 及时 indicator without a positive review_limit_hours")
                #expect(!(string(indicator["review_limit_note"]) ?? "").isEmpty, "\(slug) has no review_limit_note")
            } else {
                #expect(indicator["review_limit_hours"] == nil && indicator["review_limit_note"] == nil,
                        "\(slug) is not a 及时 indicator but has a review limit")
            }
        }
    }

    @Test func measuresUseTheEventVocabulary() throws {
        let fixture = try loadFixture()
        let vocabulary = eventVocabulary()
        for indicator in array(fixture.plan["indicators"]).map(object) {
            let slug = string(indicator["slug"]) ?? "?"
            let measure = object(indicator["measure"])
            for part in ["numerator", "denominator"] {
                let selector = object(measure[part])
                let label = "\(slug).\(part)"
                let type = string(selector["type"]) ?? ""
                guard let fields = vocabulary[type] else {
                    Issue.record("\(label): unknown event type '\(type)'")
                    continue
                }
                switch string(selector["count"]) {
                case "events":
                    #expect(selector["field"] == nil, "\(label): events count takes no field")
                case "distinct":
                    #expect(string(selector["field"]).map { fields.contains($0) } == true,
                            "\(label): distinct needs a field of \(type)")
                case "roster":
                    #expect(type == "roster.set" && string(selector["field"]) == "headcount",
                            "\(label): roster must read roster.set headcount")
                default:
                    Issue.record("\(label): count must be events, distinct or roster")
                }
                for (field, value) in object(selector["where"]) {
                    #expect(fields.contains(field), "\(label): \(type) has no field '\(field)'")
                    let isBool = (value as? NSNumber).map { String(cString: $0.objCType) == "c" } ?? false
                    #expect(value is String || isBool, "\(label): where.\(field) must be a string or a boolean")
                }
                if let within = selector["within_review_limit"] {
                    #expect(within as? Bool == true, "\(label): within_review_limit must be true when present")
                    #expect(indicator["review_limit_hours"] != nil, "\(label): within_review_limit without review_limit_hours")
                    #expect(fields.contains("submitted_at") && fields.contains("decided_at"),
                            "\(label): \(type) has no submitted_at/decided_at to time the review")
                }
            }
        }
    }

    // MARK: Slugs

    @Test func slugsAreUniqueLowercaseASCII() throws {
        let fixture = try loadFixture()
        let pattern = try Regex("[a-z0-9]+(-[a-z0-9]+)*")
        var seen: [String: String] = [:]
        for key in ["courts", "departments", "unit_groups", "indicators"] {
            for item in array(fixture.plan[key]).map(object) {
                let slug = string(item["slug"]) ?? ""
                #expect(slug.wholeMatch(of: pattern) != nil, "\(key) slug '\(slug)' is not lowercase ASCII [a-z0-9-]")
                if let earlier = seen[slug] {
                    Issue.record("slug '\(slug)' is used in \(earlier) and \(key)")
                }
                seen[slug] = key
            }
        }
    }

    @Test func everyReferencedSlugResolves() throws {
        let fixture = try loadFixture()
        let departments = Set(array(fixture.plan["departments"]).map(object).compactMap { string($0["slug"]) })
        let unitGroups = Set(array(fixture.plan["unit_groups"]).map(object).compactMap { string($0["slug"]) })
        let units = departments.union(unitGroups)

        func check(_ slugs: [String], in allowed: Set<String>, _ label: String) {
            #expect(!slugs.isEmpty || label.hasSuffix("assisting") || label.hasSuffix("stage_leads"), "\(label) is empty")
            for slug in slugs where !allowed.contains(slug) {
                Issue.record("\(label) names '\(slug)', which is not a \(allowed == departments ? "department" : "department or unit group")")
            }
        }

        let group = object(fixture.plan["leading_group"])
        let office = object(group["office"])
        check([string(office["seat"]) ?? ""], in: departments, "office.seat")
        check(strings(office["member_units"]), in: departments, "office.member_units")
        check([string(object(group["meeting"])["convener"]) ?? ""], in: departments, "meeting.convener")

        for unitGroup in array(fixture.plan["unit_groups"]).map(object) {
            let slug = string(unitGroup["slug"]) ?? "?"
            switch string(unitGroup["kind"]) {
            case "courts":
                #expect(string(unitGroup["level"]) == "grassroots", "unit group \(slug): courts group must be level grassroots")
            case "departments":
                if string(unitGroup["members"]) != "all" {
                    check(strings(unitGroup["members"]), in: departments, "unit group \(slug) members")
                }
            default:
                Issue.record("unit group \(slug): kind must be courts or departments")
            }
        }

        let indicatorSlugs = array(fixture.plan["indicators"]).map(object).compactMap { string($0["slug"]) }
        var listed: [String] = []
        for metric in array(fixture.plan["metrics"]).map(object) {
            let number = integer(metric["no"]) ?? 0
            for slug in strings(metric["indicators"]) {
                listed.append(slug)
                let metricOfIndicator = array(fixture.plan["indicators"]).map(object)
                    .first { string($0["slug"]) == slug }.flatMap { integer($0["metric"]) }
                #expect(metricOfIndicator == number, "metric \(number) lists '\(slug)', whose metric is \(metricOfIndicator.map(String.init) ?? "missing")")
            }
        }
        #expect(listed == indicatorSlugs, "metrics list indicators \(listed), indicators array is \(indicatorSlugs)")

        let holders = array(fixture.plan["metrics"]).map(object).map { ("metric \(integer($0["no"]) ?? 0)", $0) }
            + array(fixture.plan["indicators"]).map(object).map { ("indicator \(string($0["slug"]) ?? "?")", $0) }
        for (label, holder) in holders {
            check(strings(holder["lead"]), in: departments, "\(label) lead")
            check(strings(holder["assisting"]), in: departments, "\(label) assisting")
            check(strings(holder["responsible"]), in: units, "\(label) responsible")
            check(array(holder["stage_leads"]).map(object).flatMap { strings($0["lead"]) }, in: departments, "\(label) stage_leads")
        }
        for indicator in array(fixture.plan["indicators"]).map(object) {
            if let setter = string(indicator["threshold_setter"]), setter != "provincial-court" {
                check([setter], in: departments, "indicator \(string(indicator["slug"]) ?? "?") threshold_setter")
            }
        }
    }
}

// MARK: - Fixture

private struct Fixture {
    let root: URL
    let planBytes: Data
    let seedBytes: Data
    let plan: [String: Any]
    let seed: SeedText
}

/// The seed text; describes itself briefly so that a failed expectation does not print all of it.
private struct SeedText: CustomStringConvertible {
    let text: String
    var description: String { "seed text (\(text.utf8.count) bytes)" }

    /// Whether `fragment` is non-empty and occurs verbatim in the seed.
    func contains(_ fragment: String) -> Bool { !fragment.isEmpty && text.contains(fragment) }
}

private struct FixtureError: Error, CustomStringConvertible {
    let description: String
}

private func loadFixture(filePath: String = #filePath) throws -> Fixture {
    let root = URL(fileURLWithPath: filePath)
        .deletingLastPathComponent()  // PlanFileTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // package root
    let planBytes = try Data(contentsOf: root.appendingPathComponent("protocol/plan/jiaozuo-2022-77.json"))
    let seedBytes = try Data(contentsOf: root.appendingPathComponent("protocol/seed/jiaozuo-plan-2022-77.txt"))
    guard let plan = try JSONSerialization.jsonObject(with: planBytes) as? [String: Any] else {
        throw FixtureError(description: "protocol/plan/jiaozuo-2022-77.json is not a JSON object")
    }
    guard let seed = String(data: seedBytes, encoding: .utf8) else {
        throw FixtureError(description: "protocol/seed/jiaozuo-plan-2022-77.txt is not UTF-8")
    }
    return Fixture(root: root, planBytes: planBytes, seedBytes: seedBytes, plan: plan, seed: SeedText(text: seed))
}

// MARK: - JSON access

private func string(_ value: Any?) -> String? { value as? String }
private func array(_ value: Any?) -> [Any] { value as? [Any] ?? [] }
private func object(_ value: Any?) -> [String: Any] { value as? [String: Any] ?? [:] }
private func strings(_ value: Any?) -> [String] { array(value).compactMap { $0 as? String } }

/// An integer JSON number; booleans and floating-point numbers are not integers.
private func integer(_ value: Any?) -> Int? {
    guard let number = value as? NSNumber else { return nil }
    let type = String(cString: number.objCType)
    guard type != "c", type != "d", type != "f" else { return nil }
    return number.intValue
}

private func departmentNamesBySlug(_ plan: [String: Any]) -> [String: String] {
    var names: [String: String] = [:]
    for department in array(plan["departments"]).map(object) {
        if let slug = string(department["slug"]), let name = string(department["name"]) { names[slug] = name }
    }
    return names
}

private func unitSlugsByName(_ plan: [String: Any]) -> [String: String] {
    var slugs: [String: String] = [:]
    for unit in array(plan["departments"]).map(object) + array(plan["unit_groups"]).map(object) {
        if let slug = string(unit["slug"]), let name = string(unit["name"]) { slugs[name] = slug }
    }
    return slugs
}

private func indicatorsBySlug(_ plan: [String: Any]) -> [String: [String: Any]] {
    var indicators: [String: [String: Any]] = [:]
    for indicator in array(plan["indicators"]).map(object) {
        if let slug = string(indicator["slug"]) { indicators[slug] = indicator }
    }
    return indicators
}

/// Event types and their data fields, from the design brief's event vocabulary.
private func eventVocabulary() -> [String: Set<String>] {
    let review: Set<String> = ["request_id", "case_no", "channel", "submitted_at", "decided_at", "decision"]
    return [
        "case.filed": ["case_no", "channel"],
        "filing.reviewed": ["application_id", "submitted_at", "decided_at", "decision"],
        "fee.paid": ["case_no", "channel"],
        "hearing.held": ["case_no", "mode", "streamed"],
        "service.delivered": ["case_no", "method"],
        "file_review.decided": review,
        "archive_review.decided": review,
        "mediation.concluded": ["case_no", "channel", "outcome"],
        "lawyer.submission": ["case_no", "stage", "via_platform"],
        "preservation.applied": ["case_no", "channel"],
        "petition.received": ["petition_id", "channel"],
        "staff.active": ["staff_id", "app", "day"],
        "roster.set": ["headcount"],
        "crossdept.case": ["case_no", "via_platform"],
        "dossier.checked": ["case_no", "qualified"],
    ]
}

/// Number tokens outside strings that are not plain integers (a '.', 'e' or 'E' in the token).
private func nonIntegerNumberTokens(in bytes: Data) -> [String] {
    var tokens: [String] = []
    var inString = false
    var escaped = false
    var token: [UInt8] = []
    func flush() {
        if !token.isEmpty, token.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            tokens.append(String(decoding: token, as: UTF8.self))
        }
        token.removeAll()
    }
    for byte in bytes {
        if inString {
            if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
            continue
        }
        switch byte {
        case UInt8(ascii: "\""):
            flush()
            inString = true
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"),
             UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"):
            // Letters of true/false/null never reach here: 'e' only matters once a number has begun.
            if token.isEmpty, !(byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)) { continue }
            token.append(byte)
        default:
            flush()
        }
    }
    flush()
    return tokens
}

private func collectFloatPaths(_ value: Any, path: String, into paths: inout [String]) {
    if let dictionary = value as? [String: Any] {
        for (key, child) in dictionary { collectFloatPaths(child, path: "\(path).\(key)", into: &paths) }
    } else if let list = value as? [Any] {
        for (index, child) in list.enumerated() { collectFloatPaths(child, path: "\(path)[\(index)]", into: &paths) }
    } else if let number = value as? NSNumber {
        let type = String(cString: number.objCType)
        if type == "d" || type == "f" { paths.append(path) }
    }
}

// MARK: - Seed parsing

private func seedLines(_ seed: SeedText) -> [String] {
    seed.text.components(separatedBy: .newlines).map { $0.trimmingCharacters(in: .whitespaces) }
}

/// Non-empty lines after the line `from` up to (not including) the line `to`, or to the end.
private func linesBetween(_ lines: [String], from start: String, to end: String?) -> [String] {
    guard let first = lines.firstIndex(of: start) else { return [] }
    let rest = lines[(first + 1)...]
    let last = end.flatMap { rest.firstIndex(of: $0) } ?? lines.endIndex
    return lines[(first + 1)..<last].filter { !$0.isEmpty }
}

private struct NumberedItem {
    let number: Int
    let text: String
}

/// Lines of the form "1.text", "1. text" or "2、text".
private func numberedItems(_ lines: [String]) -> [NumberedItem] {
    lines.compactMap(numberedItem)
}

private func numberedItem(_ line: String) -> NumberedItem? {
    guard let pattern = try? Regex("([0-9]+)[.．、][ \u{3000}]*(.+)"),
          let match = line.wholeMatch(of: pattern),
          let digits = match.output[1].substring, let text = match.output[2].substring,
          let number = Int(digits) else { return nil }
    return NumberedItem(number: number, text: String(text))
}

private struct SeedDepartmentSection {
    let marker: String
    let name: String
    var items: [NumberedItem] = []
    var plain: [String] = []
}

/// Section 三, split at its （一）…（八） headings into numbered items and unnumbered paragraphs.
private func seedDepartmentSections(_ seed: SeedText) throws -> [SeedDepartmentSection] {
    let heading = try Regex("(（[一二三四五六七八九十]+）)(.+)")
    var sections: [SeedDepartmentSection] = []
    for line in linesBetween(seedLines(seed), from: "三、推进牵头部门任务分工", to: "四、主要网上办公办案应用推进目标及任务分工") {
        if let match = line.wholeMatch(of: heading),
           let marker = match.output[1].substring, let name = match.output[2].substring {
            sections.append(SeedDepartmentSection(marker: String(marker), name: String(name)))
        } else if sections.isEmpty {
            throw FixtureError(description: "section 三 has text before its first heading: \(line)")
        } else if let item = numberedItem(line) {
            sections[sections.count - 1].items.append(item)
        } else {
            sections[sections.count - 1].plain.append(line)
        }
    }
    return sections
}

private struct SeedMetricBlock {
    let number: Int
    let name: String
    var standard: String?
    var lead: String?
    var responsible: String?
}

/// Section 四, split at headings written as （一）, （2）, （12) or （十五）.
private func seedMetricBlocks(_ seed: SeedText) throws -> [SeedMetricBlock] {
    let heading = try Regex("（([一二三四五六七八九十]+|[0-9]+)[）)][ \u{3000}]*(.+)")
    let field = try Regex("(考核标准|牵头考核部门|责任部门)[：:][ \u{3000}]*(.+)")
    var blocks: [SeedMetricBlock] = []
    for line in linesBetween(seedLines(seed), from: "四、主要网上办公办案应用推进目标及任务分工", to: "五、推进要求") {
        if let match = line.wholeMatch(of: heading),
           let numeral = match.output[1].substring, let name = match.output[2].substring {
            guard let number = Int(numeral) ?? chineseNumber(String(numeral)) else {
                throw FixtureError(description: "section 四 heading has an unreadable number: \(line)")
            }
            blocks.append(SeedMetricBlock(number: number, name: String(name)))
        } else if let match = line.wholeMatch(of: field), !blocks.isEmpty,
                  let key = match.output[1].substring, let value = match.output[2].substring {
            switch key {
            case "考核标准": blocks[blocks.count - 1].standard = String(value)
            case "牵头考核部门": blocks[blocks.count - 1].lead = String(value)
            default: blocks[blocks.count - 1].responsible = String(value)
            }
        } else {
            throw FixtureError(description: "section 四 has a line that is neither a heading nor a field: \(line)")
        }
    }
    return blocks
}

/// Units in a 牵头考核部门 or 责任部门 line, split on 、 and ；.
private func listItems(_ line: String) -> [String] {
    line.split(whereSeparator: { $0 == "、" || $0 == "；" })
        .map { $0.trimmingCharacters(in: .whitespaces) }
        .filter { !$0.isEmpty }
}

private struct ThresholdFragment {
    let text: String
    let percent: Bool
    let per10k: Int?
}

/// "网上立案率达到99%以上" or "案均网上阅卷数达到0.2以上", scaled by 10,000 from the digits as written.
private func thresholdFragments(_ standard: String) throws -> [ThresholdFragment] {
    let pattern = try Regex("([^；：（]+?)达到([0-9]+)(?:\\.([0-9]+))?(%?)(以上)?")
    return standard.matches(of: pattern).map { match in
        let whole = String(standard[match.range])
        let integerDigits = match.output[2].substring.map(String.init) ?? ""
        let fractionDigits = match.output[3].substring.map(String.init) ?? ""
        let percent = match.output[4].substring == "%"
        let places = percent ? 2 : 4
        var per10k: Int?
        if fractionDigits.count <= places, let whole = Int(integerDigits),
           let fraction = Int(fractionDigits + String(repeating: "0", count: places - fractionDigits.count)) {
            per10k = whole * (percent ? 100 : 10_000) + fraction
        }
        return ThresholdFragment(text: whole, percent: percent, per10k: per10k)
    }
}

/// 一 … 九十九 written with 十.
private func chineseNumber(_ text: String) -> Int? {
    let digits: [Character: Int] = ["一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9]
    let characters = Array(text)
    guard let ten = characters.firstIndex(of: "十") else {
        return characters.count == 1 ? digits[characters[0]] : nil
    }
    let tens: Int? = ten == 0 ? 1 : (ten == 1 ? digits[characters[0]] : nil)
    let onesPart = characters[(ten + 1)...]
    let ones: Int? = onesPart.isEmpty ? 0 : (onesPart.count == 1 ? digits[onesPart.first!] : nil)
    guard let tens, let ones else { return nil }
    return tens * 10 + ones
}

/// "2022-07-28" as the seed prints dates: "2022年7月28日".
private func chineseDateText(iso: String) -> String? {
    let parts = iso.split(separator: "-").map { Int($0) }
    guard parts.count == 3, let year = parts[0], let month = parts[1], let day = parts[2] else { return nil }
    return "\(year)年\(month)月\(day)日"
}
